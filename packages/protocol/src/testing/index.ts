export { ConnectionPair, type ConnectionPairOptions, type WireRecord } from "./connection-pair.js";
export { FakeClock } from "./fake-clock.js";
export { MemoryStore } from "./memory-store.js";
export { answerWithStubs } from "./stub-answers.js";

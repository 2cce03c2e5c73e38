export {
  DEFAULT_ALLOW_LIST,
  Defender,
  type DefenderEvents,
  type DefenderOptions,
  defenderOptionsSchema,
  type OffenceKind,
} from "./defender.js";
export { type BanRecord, type DefenderStore, MemoryDefenderStore } from "./defender-store.js";

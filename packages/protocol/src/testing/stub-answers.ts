import { NEED_DATA, PAUSED } from "../sentinels.js";
import type { ServerEvent, ServerSession } from "../session/index.js";

/**
 * Drains a server session's events and answers every request at once with a fixed outcome
 * (logins succeed, storage says not-found, passive opens succeed, transfers fail to connect,
 * TLS succeeds), so that arbitrary input keeps the conversation moving. For fuzzing and
 * robustness tests, where what matters is that the session never throws or stalls.
 *
 * @returns the events drained, in order.
 */
export function answerWithStubs(session: ServerSession, now: number): ServerEvent[] {
  const events: ServerEvent[] = [];
  for (let e = session.nextEvent(); e !== NEED_DATA && e !== PAUSED; e = session.nextEvent()) {
    events.push(e);
    if (e.type === "authenticate") session.handleAuthResult(e.id, { ok: true, permissions: "all" }, now);
    else if (e.type === "storage") session.handleStorageResult(e.id, { ok: false, error: "not-found" }, now);
    else if (e.type === "open-passive") {
      session.handlePassiveResult(e.id, { ok: true, address: { host: "127.0.0.1", port: 5000 } }, now);
    } else if (e.type === "transfer") session.handleTransferResult(e.id, { ok: false, error: "data-connection" }, now);
    else if (e.type === "secure-control") session.handleSecureResult(e.id, true, now);
    else if (e.type === "clear-control") session.handleClearResult(e.id, true, now);
  }
  return events;
}

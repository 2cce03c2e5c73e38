/**
 * Sentinels returned by `nextEvent()`-style methods instead of an event
 * (python-hyper/h11 style). Compare by identity: `if (ev === NEED_DATA)`.
 */

/** More bytes are needed before another event can be produced. */
export const NEED_DATA: unique symbol = Symbol.for("ftpkit.NEED_DATA");
export type NEED_DATA = typeof NEED_DATA;

/** The machine will not produce events until the caller completes what it asked for. */
export const PAUSED: unique symbol = Symbol.for("ftpkit.PAUSED");
export type PAUSED = typeof PAUSED;

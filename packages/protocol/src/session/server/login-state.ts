/**
 * Theory of operation (login):
 * Rule 1: every login transition lives in this table; the session never sets the login
 *         state any other way.
 * Rule 2: a lookup that misses is a sequence error (RFC 959 §5.4: 503 "Bad sequence").
 *
 * RFC 959 §5.4 login sequence: USER -> 331 -> PASS -> 230 (or 332 -> ACCT -> 230);
 * REIN returns to the start (§4.1.1).
 */
export type LoginState = "no-user" | "need-password" | "logged-in";

export type LoginEvent = "USER" | "PASS_OK" | "PASS_FAILED" | "REIN";

export const LOGIN_TRANSITIONS = {
  "no-user": { USER: "need-password", REIN: "no-user" },
  "need-password": { USER: "need-password", PASS_OK: "logged-in", PASS_FAILED: "no-user", REIN: "no-user" },
  "logged-in": { REIN: "no-user" },
} as const satisfies Record<LoginState, Partial<Record<LoginEvent, LoginState>>>;

/** The next login state, or undefined when the event is out of sequence. */
export function nextLoginState(state: LoginState, event: LoginEvent): LoginState | undefined {
  const row: Partial<Record<LoginEvent, LoginState>> = LOGIN_TRANSITIONS[state];
  return row[event];
}

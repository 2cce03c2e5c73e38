/**
 * Theory of operation (transfer completion, STYLE S5):
 * A transfer is complete only when BOTH the control connection has its 2yz reply AND the
 * data connection has reached its end. The two arrive on different sockets, so either
 * may come first (basic-ftp's "TransferResolver" race). Each side has its own small state
 * machine, and the joint state is read off a fixed table, never off two loose booleans.
 *
 * Rule 1: every transition of either side lives in the two tables below.
 * Rule 2: a negative final reply fails the transfer whatever the data side says.
 */

export type ControlSide = "awaiting-preliminary" | "preliminary" | "final-ok" | "failed";
export type DataSide = "open" | "eof";

export type ControlInput = "PRELIMINARY" | "FINAL_OK" | "FINAL_ERROR";
export type DataInput = "DATA_EOF";

export const CONTROL_TRANSITIONS = {
  "awaiting-preliminary": { PRELIMINARY: "preliminary", FINAL_OK: "final-ok", FINAL_ERROR: "failed" },
  // RFC 959 §5.4: 110 restart markers may repeat before the final reply.
  preliminary: { PRELIMINARY: "preliminary", FINAL_OK: "final-ok", FINAL_ERROR: "failed" },
  "final-ok": {},
  failed: {},
} as const satisfies Record<ControlSide, Partial<Record<ControlInput, ControlSide>>>;

export const DATA_TRANSITIONS = {
  open: { DATA_EOF: "eof" },
  eof: { DATA_EOF: "eof" },
} as const satisfies Record<DataSide, Partial<Record<DataInput, DataSide>>>;

export type JointState = "in-progress" | "complete" | "failed";

/** The fixed-point table: the joint state for each pair of side states. */
export const JOINT_STATES = {
  "awaiting-preliminary": { open: "in-progress", eof: "in-progress" },
  preliminary: { open: "in-progress", eof: "in-progress" },
  "final-ok": { open: "in-progress", eof: "complete" },
  failed: { open: "failed", eof: "failed" },
} as const satisfies Record<ControlSide, Record<DataSide, JointState>>;

export class TransferState {
  control: ControlSide = "awaiting-preliminary";
  data: DataSide = "open";

  /** @returns false when the input is not allowed in the current state. */
  controlInput(input: ControlInput): boolean {
    const row: Partial<Record<ControlInput, ControlSide>> = CONTROL_TRANSITIONS[this.control];
    const next = row[input];
    if (next === undefined) return false;
    this.control = next;
    return true;
  }

  dataInput(input: DataInput): void {
    this.data = DATA_TRANSITIONS[this.data][input];
  }

  get joint(): JointState {
    return JOINT_STATES[this.control][this.data];
  }
}

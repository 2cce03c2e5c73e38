/**
 * The protocol inspector's model: the gateway's events become rows, each reply explained
 * from @ftpkit/protocol's reply-code table, decoded here in the browser.
 */
import { describeReplyCode, isValidReplyCode, type ReplyClass, replyClass } from "@ftpkit/protocol";
import type { GatewayEvent } from "../../shared/api.js";

export type InspectorRow =
  | { readonly kind: "command"; readonly key: string; readonly time: number; readonly text: string }
  | {
      readonly kind: "reply";
      readonly key: string;
      readonly time: number;
      readonly code: number;
      readonly text: string;
      readonly meaning: string;
      readonly rfc: string;
      readonly replyClass: ReplyClass;
      readonly known: boolean;
    }
  | { readonly kind: "status"; readonly key: string; readonly time: number; readonly text: string };

export interface TransferRow {
  readonly id: number;
  readonly direction: "upload" | "download";
  readonly path: string;
  readonly state: "running" | "done" | "failed";
  readonly mode: string | undefined;
  readonly bytes: number;
  readonly total: number | undefined;
  readonly rate: number;
  readonly error: string | undefined;
}

export interface InspectorState {
  readonly rows: readonly InspectorRow[];
  readonly transfers: readonly TransferRow[];
  readonly lastSeq: number;
  /** The gateway session the rows belong to (event numbers start again in a new one). */
  readonly session: string | undefined;
}

export const EMPTY_INSPECTOR: InspectorState = { rows: [], transfers: [], lastSeq: 0, session: undefined };

/** Rows kept (the oldest go first). */
export const MAX_ROWS = 2000;

export type InspectorAction =
  | GatewayEvent
  | { readonly type: "clear" }
  | { readonly type: "session"; readonly session: string };

/**
 * Folds one event in (events already seen, by `seq`, are ignored: a reconnecting stream
 * replays). `clear` empties the panel; later events still arrive.
 */
export function inspectorReducer(state: InspectorState, event: InspectorAction): InspectorState {
  if (event.type === "clear") return { ...state, rows: [], transfers: [] };
  if (event.type === "session") {
    return event.session === state.session ? state : { ...EMPTY_INSPECTOR, session: event.session };
  }
  if (event.seq <= state.lastSeq) return state;
  const key = String(event.seq);
  let rows = state.rows;
  let transfers = state.transfers;
  switch (event.type) {
    case "command":
      rows = [...rows, { kind: "command", key, time: event.time, text: maskPass(event.text) }];
      break;
    case "reply": {
      const info = explainReply(event.code);
      rows = [
        ...rows,
        {
          kind: "reply",
          key,
          time: event.time,
          code: event.code,
          text: event.lines.join("\n"),
          meaning: info.meaning,
          rfc: info.rfc,
          replyClass: info.class,
          known: info.known,
        },
      ];
      break;
    }
    case "status":
      rows = [
        ...rows,
        {
          kind: "status",
          key,
          time: event.time,
          text: event.message ?? (event.connected ? "Connected." : "Disconnected."),
        },
      ];
      break;
    case "transfer": {
      const row: TransferRow = {
        id: event.id,
        direction: event.direction,
        path: event.path,
        state: event.state,
        mode: event.mode,
        bytes: event.bytes,
        total: event.total,
        rate: event.rate,
        error: event.error,
      };
      const at = transfers.findIndex((t) => t.id === event.id);
      transfers = at === -1 ? [...transfers, row] : transfers.map((t, i) => (i === at ? row : t));
      break;
    }
  }
  if (rows.length > MAX_ROWS) rows = rows.slice(rows.length - MAX_ROWS);
  return { rows, transfers, lastSeq: event.seq, session: state.session };
}

/** What a reply code means, from the protocol package's table (a code outside RFC 959's grammar too). */
export function explainReply(code: number): { meaning: string; rfc: string; class: ReplyClass; known: boolean } {
  if (isValidReplyCode(code)) return describeReplyCode(code);
  const first = Math.floor(code / 100);
  const cls = first >= 1 && first <= 6 ? replyClass(first * 100) : "permanent";
  return { meaning: "Not a reply code RFC 959 defines.", rfc: "959", class: cls, known: false };
}

/** The gateway masks PASS already; the page masks again so a mistake there cannot show a password. */
export function maskPass(text: string): string {
  return /^PASS(\s|$)/i.test(text) ? "PASS ****" : text;
}

/** The reply class in words, for the inspector's badge. */
export const CLASS_WORDS: Readonly<Record<ReplyClass, string>> = {
  preliminary: "preliminary (1yz)",
  completion: "completed (2yz)",
  intermediate: "needs more (3yz)",
  transient: "failed, try again (4yz)",
  permanent: "failed (5yz)",
  protected: "protected (6yz)",
};

import type { Socket } from "node:net";
import { NEED_DATA, type ProxyHeader, ProxyHeaderDecoder } from "@ftpkit/protocol";

/** How reading a PROXY header ended. @internal */
export type ProxyHeaderOutcome =
  | { readonly ok: true; readonly header: ProxyHeader }
  | { readonly ok: false; readonly reason: "invalid" | "timeout" | "closed"; readonly detail?: string };

/**
 * Reads the PROXY protocol header at the start of `socket` (a connection from a trusted proxy),
 * before anything else is read or written: no 220, no TLS handshake until it is complete
 * (proxy-protocol.txt §1: "the receiver must ... not start to parse anything before the header is
 * complete").
 *
 * On success the socket is left paused (`isPaused()`), with the bytes that followed the header
 * pushed back (`unshift`) for whoever reads next (the FTP session, a TLS handshake, a transfer):
 * nothing after the header is lost or consumed. On failure (bytes that are not a header, EOF or
 * close first, nothing complete within `timeout` ms) the socket is destroyed without a byte
 * written: spec §2.1/§2.2, an invalid header means the connection is dropped.
 *
 * `signal` aborts the wait (server shutdown): the socket is destroyed and the outcome is `closed`.
 * @internal
 */
export function readProxyHeader(socket: Socket, timeout: number, signal?: AbortSignal): Promise<ProxyHeaderOutcome> {
  return new Promise((resolve) => {
    const decoder = new ProxyHeaderDecoder();
    let settled = false;
    const finish = (outcome: ProxyHeaderOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.off("data", onData);
      socket.off("end", onGone);
      socket.off("close", onGone);
      signal?.removeEventListener("abort", onGone);
      if (outcome.ok) {
        socket.pause();
        const rest = decoder.rest();
        if (rest.length > 0) socket.unshift(Buffer.from(rest));
      } else {
        socket.destroy();
      }
      resolve(outcome);
    };
    const onData = (chunk: Buffer) => {
      decoder.receiveData(chunk);
      const r = decoder.nextEvent();
      if (r === NEED_DATA) return;
      if (r.type === "invalid") finish({ ok: false, reason: "invalid", detail: r.reason });
      else finish({ ok: true, header: r.header });
    };
    const onGone = () => finish({ ok: false, reason: "closed" });
    const timer = setTimeout(() => finish({ ok: false, reason: "timeout" }), timeout);
    // Errors end in `close`; this listener stays so that no error is ever unhandled.
    socket.on("error", () => {});
    socket.on("data", onData);
    socket.once("end", onGone);
    socket.once("close", onGone);
    if (signal?.aborted) {
      onGone();
      return;
    }
    signal?.addEventListener("abort", onGone, { once: true });
    socket.resume();
  });
}

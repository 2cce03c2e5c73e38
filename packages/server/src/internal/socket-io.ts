import type { Socket } from "node:net";

/** The data connection closed or failed while we were writing. @internal */
export class DataSideError extends Error {
  constructor(cause?: unknown) {
    super("data connection lost", { cause });
    this.name = "DataSideError";
  }
}

/**
 * Writes with back-pressure: resolves at once when the socket takes the bytes, else on
 * 'drain'. Rejects with {@link DataSideError} when the socket closes or fails first, and with
 * the signal's reason when it is aborted: never waits on a dead socket.
 * @internal
 */
export function writeWithBackpressure(socket: Socket, bytes: Uint8Array, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(signal.reason);
  if (socket.destroyed || socket.writableEnded) return Promise.reject(new DataSideError());
  if (socket.write(bytes)) return Promise.resolve();
  return settleOn(socket, "drain", signal);
}

/**
 * Ends the socket (FIN) and resolves once every byte was handed to the kernel.
 * Rejects with {@link DataSideError} when it closes or fails first.
 * @internal
 */
export function endAndFlush(socket: Socket, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(signal.reason);
  if (socket.destroyed) return Promise.reject(new DataSideError());
  const settled = settleOn(socket, "finish", signal);
  socket.end();
  return settled;
}

/** Resolves on `success`, rejects on close, error or abort, and always removes its listeners. */
function settleOn(socket: Socket, success: "drain" | "finish", signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const cleanup = () => {
      socket.off(success, onSuccess);
      socket.off("close", onClose);
      socket.off("error", onError);
      signal.removeEventListener("abort", onAbort);
    };
    const onSuccess = () => {
      cleanup();
      resolve();
    };
    const onClose = () => {
      cleanup();
      reject(new DataSideError());
    };
    const onError = (error: unknown) => {
      cleanup();
      reject(new DataSideError(error));
    };
    const onAbort = () => {
      cleanup();
      reject(signal.reason);
    };
    socket.on(success, onSuccess);
    socket.on("close", onClose);
    socket.on("error", onError);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

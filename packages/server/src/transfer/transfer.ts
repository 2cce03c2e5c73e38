import type { Socket } from "node:net";
import type { StorageErrorKind, TransferRequest } from "@ftpkit/protocol";
import type { FileSystem, UploadMode } from "../fs/file-system.js";
import type { UploadQuota } from "../quota.js";
import { runDownload } from "./download.js";
import { runListing } from "./listing.js";
import type { StopReason, TransferContext, TransferOutcome } from "./transfer-context.js";
import { runUpload } from "./upload.js";

export interface TransferOptions {
  readonly id: number;
  readonly request: TransferRequest;
  readonly fs: FileSystem;
  readonly uploadMode: UploadMode;
  readonly dataTimeout: number;
  readonly maxListEntries: number;
  readonly openData: (signal: AbortSignal) => Promise<Socket>;
  readonly secureData?: ((socket: Socket, signal: AbortSignal) => Promise<Socket>) | undefined;
  readonly started: (info: { name?: string; size?: number }) => void;
  readonly downloadRate?: number | undefined;
  readonly uploadRate?: number | undefined;
  readonly minRate: number;
  readonly rateWindow: number;
  readonly commitDelay: number;
  readonly openQuota?: ((path: string | undefined) => Promise<UploadQuota | StorageErrorKind>) | undefined;
}

/**
 * One running transfer (a `transfer` event of the server session) and the means to stop it
 * (`abort-transfer`, the data-idle timeout, shutdown). `run()` turns every expected ending
 * into a TransferResult the session can answer; it rejects only on a bug.
 * @internal
 */
export class Transfer {
  readonly id: number;
  readonly request: TransferRequest;
  readonly startedAt = performance.now();
  private readonly controller = new AbortController();
  private readonly options: TransferOptions;

  constructor(options: TransferOptions) {
    this.id = options.id;
    this.request = options.request;
    this.options = options;
  }

  get stopped(): boolean {
    return this.controller.signal.aborted;
  }

  /** Stops the transfer; the first reason wins. */
  stop(reason: StopReason): void {
    if (!this.controller.signal.aborted) this.controller.abort(reason);
  }

  async run(): Promise<TransferOutcome> {
    const o = this.options;
    const ctx: TransferContext = {
      request: o.request,
      fs: o.fs,
      uploadMode: o.uploadMode,
      dataTimeout: o.dataTimeout,
      maxListEntries: o.maxListEntries,
      signal: this.controller.signal,
      stop: (reason) => this.stop(reason),
      openData: o.openData,
      secureData: o.secureData,
      started: o.started,
      now: () => new Date(),
      downloadRate: o.downloadRate,
      uploadRate: o.uploadRate,
      minRate: o.minRate,
      rateWindow: o.rateWindow,
      commitDelay: o.commitDelay,
      openQuota: o.openQuota,
    };
    switch (o.request.kind) {
      case "retr":
        return runDownload(ctx);
      case "stor":
      case "appe":
      case "stou":
        return runUpload(ctx);
      default:
        return runListing(ctx);
    }
  }
}

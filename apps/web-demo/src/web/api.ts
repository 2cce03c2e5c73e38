/** The page's side of the gateway API (../shared/api.ts): fetch, XHR for upload progress, EventSource. */
import {
  type ApiError,
  type ConnectRequest,
  type ConnectResponse,
  type DownloadTicket,
  type ErrorKind,
  type GatewayEvent,
  type ListResponse,
  type SessionInfo,
  TOKEN_HEADER,
  type UploadResponse,
} from "../shared/api.js";

/** A failed call, with the gateway's plain-words message. */
export class ApiFailure extends Error {
  override readonly name = "ApiFailure";
  constructor(
    readonly kind: ErrorKind | "network",
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

const NETWORK = "The demo's gateway cannot be reached. Is `ftpkit dev` still running?";

async function failureOf(res: Response): Promise<ApiFailure> {
  try {
    const body = (await res.json()) as Partial<ApiError>;
    if (body.error !== undefined) return new ApiFailure(body.error.kind, body.error.message, res.status);
  } catch {
    // not JSON
  }
  return new ApiFailure("internal", `The gateway answered ${res.status} ${res.statusText}.`, res.status);
}

/** Joins a directory and a name into an absolute remote path. */
export function childPath(dir: string, name: string): string {
  return `${dir.replace(/\/+$/, "")}/${name}`;
}

export interface UploadHandle {
  readonly done: Promise<UploadResponse>;
  cancel(): void;
}

export class GatewayApi {
  private token = "";

  constructor(private readonly base = "") {}

  /** Opens (or resumes) this tab's session and takes its token. */
  async session(): Promise<SessionInfo> {
    const info = await this.request<SessionInfo>("GET", "/api/session", undefined, false);
    this.token = info.token;
    return info;
  }

  connect(request: ConnectRequest): Promise<ConnectResponse> {
    return this.request("POST", "/api/connect", request);
  }

  disconnect(): Promise<SessionInfo> {
    return this.request("POST", "/api/disconnect", {});
  }

  list(path: string): Promise<ListResponse> {
    return this.request("GET", `/api/list?path=${encodeURIComponent(path)}`);
  }

  mkdir(path: string): Promise<unknown> {
    return this.request("POST", "/api/mkdir", { path });
  }

  rename(from: string, to: string): Promise<unknown> {
    return this.request("POST", "/api/rename", { from, to });
  }

  remove(path: string, directory: boolean): Promise<unknown> {
    return this.request("POST", "/api/delete", { path, directory });
  }

  downloadTicket(path: string): Promise<DownloadTicket> {
    return this.request("POST", "/api/download", { path });
  }

  /** Streams a File to the gateway (XHR: fetch has no upload progress). */
  upload(file: Blob, path: string, onProgress: (sent: number, total: number) => void): UploadHandle {
    const xhr = new XMLHttpRequest();
    const done = new Promise<UploadResponse>((resolve, reject) => {
      xhr.open("PUT", `${this.base}/api/upload?path=${encodeURIComponent(path)}`);
      xhr.setRequestHeader(TOKEN_HEADER, this.token);
      xhr.setRequestHeader("content-type", "application/octet-stream");
      xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : file.size);
      xhr.onload = () => {
        let body: unknown;
        try {
          body = JSON.parse(xhr.responseText);
        } catch {
          body = undefined;
        }
        if (xhr.status === 200) resolve(body as UploadResponse);
        else {
          const error = (body as Partial<ApiError> | undefined)?.error;
          reject(
            new ApiFailure(
              error?.kind ?? "internal",
              error?.message ?? `The gateway answered ${xhr.status}.`,
              xhr.status,
            ),
          );
        }
      };
      xhr.onerror = () => reject(new ApiFailure("network", NETWORK, 0));
      xhr.onabort = () => reject(new ApiFailure("network", "Upload cancelled.", 0));
      xhr.send(file);
    });
    return { done, cancel: () => xhr.abort() };
  }

  /** Subscribes to the session's events; returns a function that closes the stream. */
  events(onEvent: (event: GatewayEvent) => void, onState: (state: "open" | "retrying" | "closed") => void): () => void {
    const source = new EventSource(`${this.base}/api/events?token=${encodeURIComponent(this.token)}`);
    const handle = (e: MessageEvent<string>) => {
      onEvent(JSON.parse(e.data) as GatewayEvent);
    };
    for (const type of ["command", "reply", "transfer", "status"]) source.addEventListener(type, handle);
    source.onopen = () => onState("open");
    // EventSource retries by itself; it gives up (CLOSED) when the gateway refused the stream.
    source.onerror = () => onState(source.readyState === EventSource.CLOSED ? "closed" : "retrying");
    return () => source.close();
  }

  private async request<T>(method: string, path: string, body?: unknown, withToken = true): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${this.base}${path}`, {
        method,
        credentials: "same-origin",
        headers: {
          ...(withToken ? { [TOKEN_HEADER]: this.token } : {}),
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch {
      throw new ApiFailure("network", NETWORK, 0);
    }
    if (!res.ok) throw await failureOf(res);
    return (await res.json()) as T;
  }
}

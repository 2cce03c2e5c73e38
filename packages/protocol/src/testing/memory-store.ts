import { splitVirtualPath, virtualBasename, virtualDirname } from "../path/index.js";
import type { EntryInfo, StorageRequest, StorageResult, StorageValue } from "../session/index.js";
import { concatBytes, encodeUtf8 } from "../text/utf8.js";

interface Node {
  type: "file" | "directory";
  data: Uint8Array;
  modifiedAt: Date;
  mode: number;
}

/**
 * A tiny in-memory tree for protocol-level tests and the browser playground. Paths are
 * the session's virtual paths (absolute, normalized). Pure: no I/O, no clock (times are
 * given by the caller).
 */
export class MemoryStore {
  private readonly nodes = new Map<string, Node>();

  constructor(files: Readonly<Record<string, string | Uint8Array>> = {}, now = new Date(0)) {
    this.nodes.set("/", { type: "directory", data: new Uint8Array(0), modifiedAt: now, mode: 0o755 });
    for (const [path, content] of Object.entries(files)) {
      this.ensureParents(path, now);
      if (path.endsWith("/")) this.mkdirp(path, now);
      else this.write(path, typeof content === "string" ? encodeUtf8(content) : content, now);
    }
  }

  read(path: string): Uint8Array | undefined {
    const node = this.nodes.get(path);
    return node?.type === "file" ? node.data : undefined;
  }

  write(path: string, data: Uint8Array, now: Date, offset?: number, append = false): void {
    this.ensureParents(path, now);
    const old = this.nodes.get(path);
    let content = data;
    if (old?.type === "file" && append) content = concatBytes([old.data, data]);
    else if (old?.type === "file" && offset !== undefined && offset > 0) {
      content = concatBytes([old.data.subarray(0, offset), data]);
    }
    this.nodes.set(path, { type: "file", data: content, modifiedAt: now, mode: 0o644 });
  }

  has(path: string): boolean {
    return this.nodes.has(path);
  }

  /** Carries out a session's storage request. */
  apply(request: StorageRequest, now: Date): StorageResult {
    switch (request.op) {
      case "stat": {
        const e = this.entry(request.path);
        return e ? ok(e) : fail("not-found");
      }
      case "list": {
        const node = this.nodes.get(request.path);
        if (!node) return fail("not-found");
        if (node.type === "file") return ok([this.entry(request.path) as EntryInfo]);
        return ok(this.children(request.path));
      }
      case "mkdir": {
        if (this.nodes.has(request.path)) return fail("exists");
        const parent = this.nodes.get(virtualDirname(request.path));
        if (parent?.type !== "directory") return fail("not-found");
        this.nodes.set(request.path, { type: "directory", data: new Uint8Array(0), modifiedAt: now, mode: 0o755 });
        return ok(undefined);
      }
      case "rmdir": {
        const node = this.nodes.get(request.path);
        if (!node) return fail("not-found");
        if (node.type !== "directory") return fail("not-directory");
        if (this.children(request.path).length > 0) return fail("not-empty");
        this.nodes.delete(request.path);
        return ok(undefined);
      }
      case "delete": {
        const node = this.nodes.get(request.path);
        if (!node) return fail("not-found");
        if (node.type === "directory") return fail("is-directory");
        this.nodes.delete(request.path);
        return ok(undefined);
      }
      case "rename": {
        if (!this.nodes.has(request.from)) return fail("not-found");
        if (this.nodes.get(virtualDirname(request.to))?.type !== "directory") return fail("not-found");
        const prefix = `${request.from}/`;
        for (const [path, node] of [...this.nodes]) {
          if (path === request.from || path.startsWith(prefix)) {
            this.nodes.delete(path);
            this.nodes.set(request.to + path.slice(request.from.length), node);
          }
        }
        return ok(undefined);
      }
      case "set-mtime": {
        const node = this.nodes.get(request.path);
        if (!node) return fail("not-found");
        node.modifiedAt = request.mtime;
        return ok(undefined);
      }
      case "chmod": {
        const node = this.nodes.get(request.path);
        if (!node) return fail("not-found");
        node.mode = request.mode;
        return ok(undefined);
      }
      case "hash":
        return fail("not-supported");
    }
  }

  entry(path: string): EntryInfo | undefined {
    const node = this.nodes.get(path);
    if (!node) return undefined;
    return {
      name: path === "/" ? "/" : virtualBasename(path),
      type: node.type,
      size: node.type === "file" ? node.data.length : 0,
      modifiedAt: node.modifiedAt,
      mode: node.mode,
    };
  }

  children(dir: string): EntryInfo[] {
    const depth = splitVirtualPath(dir).length + 1;
    const out: EntryInfo[] = [];
    for (const path of this.nodes.keys()) {
      if (path === "/" || virtualDirname(path) !== dir) continue;
      if (splitVirtualPath(path).length !== depth) continue;
      out.push(this.entry(path) as EntryInfo);
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  private ensureParents(path: string, now: Date): void {
    const segments = splitVirtualPath(path);
    let current = "";
    for (const segment of segments.slice(0, -1)) {
      current += `/${segment}`;
      if (!this.nodes.has(current)) {
        this.nodes.set(current, { type: "directory", data: new Uint8Array(0), modifiedAt: now, mode: 0o755 });
      }
    }
  }

  private mkdirp(path: string, now: Date): void {
    const p = `/${splitVirtualPath(path).join("/")}`;
    if (!this.nodes.has(p))
      this.nodes.set(p, { type: "directory", data: new Uint8Array(0), modifiedAt: now, mode: 0o755 });
  }
}

function ok<T>(value: T): StorageResult<T> {
  return { ok: true, value };
}

function fail(error: import("../session/index.js").StorageErrorKind): StorageResult<never> {
  return { ok: false, error };
}

export type { StorageValue };

/** Serves the built front end (dist/public): no directory listings, nothing outside the folder. */
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { extname, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

/** `dist/public`, seen from both `src/gateway/` (tests) and `dist/gateway/` (built). */
export const DEFAULT_STATIC_DIR = fileURLToPath(new URL("../../dist/public/", import.meta.url));

const TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".json": "application/json",
  ".map": "application/json",
  ".txt": "text/plain; charset=utf-8",
  ".woff2": "font/woff2",
};

/** Headers for every page response: no framing, no sniffing, only this origin's scripts. */
export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy":
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "same-origin",
};

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>ftpkit web demo</title>
<p>The web demo's front end is not built yet. Run <code>pnpm --filter @ftpkit/web-demo build</code>
(or <code>pnpm build</code> at the repository root) and reload.</p>`;

export async function serveStatic(
  root: string,
  req: IncomingMessage,
  res: ServerResponse,
  pathname: string,
): Promise<void> {
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.writeHead(405, { allow: "GET, HEAD", ...PAGE_HEADERS }).end();
    return;
  }
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    res.writeHead(400, PAGE_HEADERS).end();
    return;
  }
  const base = resolve(root);
  const relative = decoded === "/" || decoded === "" ? "index.html" : decoded.replace(/^\/+/, "");
  const file = resolve(join(base, relative));
  if (decoded.includes("\0") || (file !== base && !file.startsWith(base + sep))) {
    res.writeHead(404, PAGE_HEADERS).end();
    return;
  }
  const info = await stat(file).catch(() => undefined);
  if (!info?.isFile()) {
    if (relative === "index.html") {
      res.writeHead(503, { "content-type": "text/html; charset=utf-8", ...PAGE_HEADERS }).end(NOT_BUILT);
      return;
    }
    res.writeHead(404, { "content-type": "text/plain; charset=utf-8", ...PAGE_HEADERS }).end("Not found");
    return;
  }
  const hashed = relative.startsWith("assets/");
  res.writeHead(200, {
    "content-type": TYPES[extname(file).toLowerCase()] ?? "application/octet-stream",
    "content-length": String(info.size),
    "cache-control": hashed ? "public, max-age=31536000, immutable" : "no-cache",
    ...PAGE_HEADERS,
  });
  if (req.method === "HEAD") {
    res.end();
    return;
  }
  createReadStream(file)
    .on("error", () => res.destroy())
    .pipe(res);
}

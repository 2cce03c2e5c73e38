/**
 * The interop harness (@ftpkit/interop, test/interop/src/peers.ts) is reused to install and run
 * vsftpd and pyftpdlib. It is TypeScript source only, so it is loaded through ts-hooks.js.
 */
import { createRequire, register } from "node:module";
import { pathToFileURL } from "node:url";

export type Interop = typeof import("@ftpkit/interop/src/peers.js");

let loaded: Promise<Interop> | undefined;

export function loadInterop(): Promise<Interop> {
  loaded ??= (async () => {
    register("./ts-hooks.js", import.meta.url);
    const pkgJson = createRequire(import.meta.url).resolve("@ftpkit/interop/package.json");
    const url = new URL("src/peers.ts", pathToFileURL(pkgJson)).href;
    return (await import(url)) as Interop;
  })();
  return loaded;
}

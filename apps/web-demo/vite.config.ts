import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

/**
 * The page: src/web (React 19, JSX through Vite's own oxc transform, no plugin) built to
 * dist/public, which the gateway serves. Workspace packages are bundled from their sources
 * (`@ftpkit/source`): @ftpkit/protocol runs in the page as it is.
 */
export default defineConfig({
  root: fileURLToPath(new URL("./src/web/", import.meta.url)),
  base: "/",
  resolve: { conditions: ["@ftpkit/source", "browser", "module", "import", "default"] },
  oxc: { jsx: { runtime: "automatic" } },
  build: {
    outDir: fileURLToPath(new URL("./dist/public/", import.meta.url)),
    emptyOutDir: true,
    target: "es2022",
    sourcemap: true,
    reportCompressedSize: false,
  },
  logLevel: "warn",
});

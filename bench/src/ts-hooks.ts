/**
 * Module loader hooks (registered by interop.ts with `module.register`): Node 20 cannot run
 * TypeScript, and @ftpkit/interop ships only its TypeScript source (its tests run under
 * vitest). These hooks transpile `.ts` files of that package on load with TypeScript's
 * `transpileModule` (types erased, no type check: tsc checks them when the bench is built).
 */
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";

type Ts = typeof import("typescript");
let ts: Promise<Ts> | undefined;

interface LoadContext {
  format?: string | null;
  importAttributes?: Record<string, string>;
}
interface LoadResult {
  format: string;
  source?: string | ArrayBuffer | Uint8Array;
  shortCircuit?: boolean;
}
type NextLoad = (url: string, context?: LoadContext) => Promise<LoadResult>;

export async function load(url: string, context: LoadContext, nextLoad: NextLoad): Promise<LoadResult> {
  if (!url.startsWith("file:") || !url.endsWith(".ts") || url.endsWith(".d.ts") || url.includes("/node_modules/")) {
    return nextLoad(url, context);
  }
  ts ??= import("typescript").then((m) => ((m as { default?: Ts }).default ?? m) as Ts);
  const t = await ts;
  const file = fileURLToPath(url);
  const source = await readFile(file, "utf8");
  const out = t.transpileModule(source, {
    fileName: file,
    compilerOptions: {
      module: t.ModuleKind.ESNext,
      target: t.ScriptTarget.ES2022,
      verbatimModuleSyntax: true,
      inlineSourceMap: true,
      inlineSources: true,
    },
  });
  return { format: "module", source: out.outputText, shortCircuit: true };
}

/** Command-line options of `pnpm bench [--] [options]`. */
import { parseArgs } from "node:util";
import { FULL, type Profile, QUICK } from "./profile.js";

export interface CliOptions {
  profile: Profile;
  /** Row filters: a row runs when its id or title matches any (substring, case-insensitive, or /regex/). */
  only: string[];
  /** Subject filters (same matching) for the subjects of every row; ftpkit subjects always keep their place. */
  subjects: string[];
  outDir: string | undefined;
  install: boolean;
  listOnly: boolean;
  help: boolean;
}

export const USAGE = `Usage: pnpm bench [--] [options]          (from the repo root: builds first, then runs)
       node dist/run.js [options]              (in bench/, after a build)

  --quick              small files, fewer runs: under two minutes
  --only <pattern>     run only the rows whose id or title matches (substring or /regex/;
                       repeat or comma-separate for several), e.g. --only server.download
                       --only sessions --only "/^client\\.(download|upload)/"
  --subjects <list>    keep only these subjects (comma-separated patterns), e.g. vsftpd,curl
  --runs <n>           measured runs per case (default 5, quick 2)
  --warmups <n>        warm-up runs per case (default 1)
  --size <MiB>         size of the big transfer file in MiB (default 2048, quick 128)
  --out <dir>          where results go (default bench/results)
  --no-install         do not run test/interop/peers/install.sh first
  --list               print the rows and exit
  -h, --help           this text

Benchmarks are not tests: nothing asserts a timing. Results: bench/results/<time>/ and
bench/results/latest.{md,json,svg}.`;

function splitList(values: string[] | undefined): string[] {
  return (values ?? [])
    .flatMap((v) => v.split(","))
    .map((v) => v.trim())
    .filter((v) => v.length > 0);
}

function positiveInt(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a whole number, not ${JSON.stringify(value)}`);
  return n;
}

export function parseCli(argv: readonly string[]): CliOptions {
  // pnpm passes a literal "--" through when the user writes `pnpm bench -- --quick`
  const args = argv.filter((a) => a !== "--");
  const { values } = parseArgs({
    args,
    options: {
      quick: { type: "boolean", default: false },
      only: { type: "string", multiple: true },
      subjects: { type: "string", multiple: true },
      runs: { type: "string" },
      warmups: { type: "string" },
      size: { type: "string" },
      out: { type: "string" },
      "no-install": { type: "boolean", default: false },
      list: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  const base = values.quick ? QUICK : FULL;
  const runs = positiveInt("runs", values.runs);
  const warmups = positiveInt("warmups", values.warmups);
  const size = positiveInt("size", values.size);
  if (runs === 0) throw new Error("--runs must be at least 1");
  if (size === 0) throw new Error("--size must be at least 1 (MiB)");
  const profile: Profile = {
    ...base,
    ...(runs !== undefined ? { runs } : {}),
    ...(warmups !== undefined ? { warmups } : {}),
    ...(size !== undefined ? { bigFileBytes: size * 1024 * 1024 } : {}),
  };
  return {
    profile,
    only: splitList(values.only),
    subjects: splitList(values.subjects),
    outDir: values.out,
    install: !values["no-install"],
    listOnly: values.list,
    help: values.help,
  };
}

/** Whether `text` matches a pattern: `/regex/` or a case-insensitive substring. */
export function matches(pattern: string, ...texts: string[]): boolean {
  const re = /^\/(.+)\/([a-z]*)$/.exec(pattern);
  if (re) {
    const r = new RegExp(re[1]!, re[2]!.includes("i") ? re[2] : `${re[2]}i`);
    return texts.some((t) => r.test(t));
  }
  const p = pattern.toLowerCase();
  return texts.some((t) => t.toLowerCase().includes(p));
}

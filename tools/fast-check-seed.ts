import fc from "fast-check";

/**
 * A vitest setup file: every fast-check property of the package runs with one fixed seed,
 * so a failure in CI fails again on the next run and on a laptop. Explore other seeds with
 * `FC_SEED=<n> vitest run` (the long-run fuzzing is `pnpm fuzz`, with its own FUZZ_SEED).
 */
export const FAST_CHECK_SEED = Number(process.env.FC_SEED ?? 0x0f7b_c0de);

fc.configureGlobal({ ...fc.readConfigureGlobal(), seed: FAST_CHECK_SEED });

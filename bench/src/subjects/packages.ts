/**
 * The ftpkit packages under test are imported by a name held in a variable: TypeScript then
 * does not type-check the bench against their sources (which other engineers are changing),
 * and the bench builds whatever state they are in. Node resolves them to their built dist
 * (the `default` export condition), so run `turbo run build` first (`pnpm bench` does).
 *
 * FTPKIT_BENCH_SERVER_PACKAGE / FTPKIT_BENCH_CLIENT_PACKAGE name another module to load instead
 * (a package name or an absolute file URL of another build's dist/index.js).
 */
export const SERVER_PACKAGE: string = process.env["FTPKIT_BENCH_SERVER_PACKAGE"] || "@ftpkit/server";
export const CLIENT_PACKAGE: string = process.env["FTPKIT_BENCH_CLIENT_PACKAGE"] || "@ftpkit/client";

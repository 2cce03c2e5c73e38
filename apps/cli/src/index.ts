/**
 * ftpkit: the command-line tool. The package's programmatic surface is small: the program
 * itself (for embedding in other tools and for tests), `serve`, and the exit-code table.
 */
export { type CliIo, createProgram, EXIT, main } from "./cli.js";
export { EXIT_TABLE, type ExitCode } from "./exit-codes.js";
export { type RunningServe, type ServeOptions, serve, UsageError } from "./serve.js";

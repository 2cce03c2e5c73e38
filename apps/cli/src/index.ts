/**
 * ftpkit: the command-line tool. The package's programmatic surface is small: the program
 * itself (for embedding in other tools and for tests) and `serve`.
 */
export { type CliIo, createProgram, EXIT, main } from "./cli.js";
export { type RunningServe, type ServeOptions, serve, UsageError } from "./serve.js";

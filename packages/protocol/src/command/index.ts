export { formatMfmtArgument } from "./arguments.js";
export {
  buildCommand,
  type Command,
  type CommandOf,
  encodeCommand,
  formatCommand,
  parseCommand,
  redactCommand,
  safeParseCommand,
} from "./command.js";
export { CommandDecoder, type CommandDecoderOptions, type DecodedLine } from "./command-decoder.js";
export {
  COMMANDS,
  type CommandSpec,
  type CommandValue,
  canonicalVerb,
  isVerb,
  type Permission,
  VERBS,
  type Verb,
} from "./commands.js";

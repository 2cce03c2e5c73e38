export { FtpProtocolError, type ReplyHint } from "./ftp-protocol-error.js";
export { LocalProtocolError } from "./local-protocol-error.js";
export { type ParseResult, safeParse } from "./parse-result.js";
export { RemoteProtocolError } from "./remote-protocol-error.js";

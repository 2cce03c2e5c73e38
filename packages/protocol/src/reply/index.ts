export { parseQuotedPathname, quotePathname } from "./pathname-reply.js";
export { createReply, encodeReply, formatReply, type Reply, replyMessage } from "./reply.js";
export { parseReply, ReplyDecoder, type ReplyDecoderOptions } from "./reply-decoder.js";
export { parseFeatReply, parseMdtmReply, parseSizeReply } from "./reply-values.js";

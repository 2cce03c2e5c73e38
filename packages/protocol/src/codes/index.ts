export {
  describeReplyCode,
  isNegativeReply,
  isPositiveReply,
  isValidReplyCode,
  REPLY_CODES,
  type ReplyClass,
  type ReplyCodeInfo,
  type ReplyGroup,
  replyClass,
  replyGroup,
} from "./reply-codes.js";

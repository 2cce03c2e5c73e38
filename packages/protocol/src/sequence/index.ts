export {
  ANY_COMMAND_REPLIES,
  type ExpectedReplies,
  interpretReply,
  isReplyAllowed,
  isTransferVerb,
  type ReplyOutcome,
  SEQUENCES,
} from "./sequences.js";

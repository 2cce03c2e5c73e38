export { TokenBucket } from "./token-bucket.js";

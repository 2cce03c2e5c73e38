export { AsciiDecoder, AsciiEncoder } from "./ascii.js";

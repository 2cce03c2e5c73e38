export { FtpServerError, type FtpServerErrorCode } from "./ftp-server-error.js";

export { type FtpConnectionCode, FtpConnectionError } from "./ftp-connection-error.js";
export { FtpError } from "./ftp-error.js";
export { type FtpTimeoutCode, FtpTimeoutError } from "./ftp-timeout-error.js";
export { type FtpTlsCode, FtpTlsError } from "./ftp-tls-error.js";

export { type FtpConnectionCode, FtpConnectionError } from "./ftp-connection-error.js";
export { FtpError } from "./ftp-error.js";
export { type FtpFxpCode, FtpFxpError, type FxpAttempt, type FxpSide } from "./ftp-fxp-error.js";
export { type FtpTimeoutCode, FtpTimeoutError } from "./ftp-timeout-error.js";
export { type FtpTlsCode, FtpTlsError } from "./ftp-tls-error.js";

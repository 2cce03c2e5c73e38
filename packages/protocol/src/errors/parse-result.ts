import { FtpProtocolError } from "./ftp-protocol-error.js";

/** The result of a non-throwing `safeParseX` call (the shape of zod's `safeParse`). */
export type ParseResult<T> = { success: true; value: T } | { success: false; error: FtpProtocolError };

/**
 * Runs a throwing parser and turns its typed error into a failed result.
 * Any other exception is a bug and is re-thrown.
 */
export function safeParse<T>(parse: () => T): ParseResult<T> {
  try {
    return { success: true, value: parse() };
  } catch (error) {
    if (FtpProtocolError.isInstance(error)) return { success: false, error };
    throw error;
  }
}

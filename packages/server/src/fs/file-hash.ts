import { createHash, type Hash } from "node:crypto";
import type { HashAlgorithm } from "@ftpkit/protocol";
import { crc32 } from "./crc32.js";

/** An incremental hash of one of the draft-bryan-ftpext-hash algorithms. */
export interface FileHash {
  /** Adds bytes; call in file order. */
  update(data: Uint8Array): void;
  /** The digest as lowercase hex (CRC32: 8 digits, zero-padded), as the HASH reply carries it. */
  digest(): string;
}

/** node:crypto's names for the algorithms it computes; CRC32 is ours. */
const CRYPTO_NAMES = { "SHA-256": "sha256", "SHA-1": "sha1", MD5: "md5" } as const;

/**
 * Starts a hash for HASH (draft-bryan-ftpext-hash §3). Back-ends use it in `hash()`; the
 * server can use it to hash a read stream itself when a back-end has no `hash()`.
 *
 * @throws {Error} from node:crypto for a name outside {@link HashAlgorithm}, which the type
 *   already forbids.
 */
export function createFileHash(algorithm: HashAlgorithm): FileHash {
  if (algorithm === "CRC32") {
    let value = 0;
    return {
      update(data) {
        value = crc32(data, value);
      },
      digest: () => value.toString(16).padStart(8, "0"),
    };
  }
  const hash: Hash = createHash(CRYPTO_NAMES[algorithm]);
  return {
    update(data) {
      hash.update(data);
    },
    digest: () => hash.digest("hex"),
  };
}

import type { StorageErrorKind, TransferKind } from "@ftpkit/protocol";
import type { AccountQuota, QuotaUsage, QuotaUsageStore } from "./account.js";
import type { FileSystem } from "./fs/file-system.js";
import { storageErrorKindOf } from "./fs/index.js";

/**
 * Upload quotas (Account.quota). The usage comes from the account's QuotaUsageStore, or is
 * counted here once per user name; uploads of one user that run at once in this process are
 * added on top, so two sessions cannot both fill the last free bytes. After an upload (done,
 * failed or aborted) the file is looked at again and the real change recorded, whatever the
 * upload mode kept. @internal
 */
export class QuotaLedger {
  private readonly counted = new Map<string, CountedUsage>();
  private readonly running = new Map<string, Set<UploadQuota>>();

  constructor(private readonly reportError: (error: unknown) => void) {}

  /** The usage store of `user`'s account: its own, or one counted on `fs`. */
  store(user: string, quota: AccountQuota, fs: FileSystem): QuotaUsageStore {
    if (quota.usage !== undefined) return quota.usage;
    let counted = this.counted.get(user);
    if (counted === undefined) {
      counted = new CountedUsage();
      this.counted.set(user, counted);
    }
    const c = counted;
    return { get: () => c.get(fs), add: (delta) => c.add(delta, fs) };
  }

  /**
   * Plans an upload to `path` (undefined for STOU until the name is known).
   * @returns the upload's quota guard, or the storage error kind to answer with (`quota`
   *   when the account is already full, `io` when its usage cannot be read).
   */
  async openUpload(
    user: string,
    quota: AccountQuota,
    fs: FileSystem,
    request: { kind: TransferKind; path: string | undefined; offset: number },
  ): Promise<UploadQuota | StorageErrorKind> {
    const store = this.store(user, quota, fs);
    const old = request.path === undefined ? { exists: false, size: 0 } : await fileState(fs, request.path);
    let usage: QuotaUsage;
    try {
      usage = await store.get();
    } catch (error) {
      this.reportError(error);
      return "io";
    }
    const running = this.runningFor(user);
    let otherNewFiles = 0;
    for (const u of running) if (!u.old.exists) otherNewFiles++;
    const append = request.kind === "appe";
    const kept = append || request.offset > 0 ? old.size : 0;
    const start = append ? old.size : request.offset;
    // A store that reserves atomically (shared by several nodes) decides the file count itself.
    const reserveFile = quota.files !== undefined && !old.exists && store.reserve !== undefined;
    if (!reserveFile && quota.files !== undefined && !old.exists && usage.files + otherNewFiles + 1 > quota.files) {
      return "quota";
    }
    const upload = new UploadQuota(this, user, quota, store, fs, request.path, old, kept, start, usage.bytes);
    // Already full, and this upload can only add (it does not replace an existing file).
    const full = quota.bytes !== undefined && usage.bytes + this.growthOfOthers(upload) >= quota.bytes;
    if (full && kept === old.size && !(old.exists && kept === 0)) return "quota";
    if (reserveFile) {
      try {
        if (!(await store.reserve?.({ bytes: 0, files: 1 }))) return "quota";
      } catch (error) {
        this.reportError(error);
        return "io";
      }
      upload.reservedFiles = 1;
    }
    running.add(upload);
    return upload;
  }

  /** What the other uploads of the same user running now have added so far. @internal */
  growthOfOthers(upload: UploadQuota): number {
    let growth = 0;
    for (const u of this.running.get(upload.user) ?? []) if (u !== upload) growth += u.growth;
    return growth;
  }

  /** A change recorded in the store while uploads of `user` run: their starting usage moves with it. */
  private settle(user: string, except: UploadQuota | undefined, bytes: number): void {
    for (const u of this.running.get(user) ?? []) if (u !== except) u.usageBytes += bytes;
  }

  private runningFor(user: string): Set<UploadQuota> {
    let set = this.running.get(user);
    if (set === undefined) {
      set = new Set();
      this.running.set(user, set);
    }
    return set;
  }

  /** @internal */
  release(upload: UploadQuota, recordedBytes: number): void {
    this.settle(upload.user, upload, recordedBytes);
    const set = this.running.get(upload.user);
    set?.delete(upload);
    if (set?.size === 0) this.running.delete(upload.user);
  }

  /** @internal */
  report(error: unknown): void {
    this.reportError(error);
  }

  /**
   * Records the change a storage command made (DELE, RNTO over a file): `before` is the state
   * of the file that went away, looked at before the command ran.
   */
  async recordRemoval(user: string, quota: AccountQuota, fs: FileSystem, before: FileState): Promise<void> {
    if (!before.exists) return;
    try {
      await this.store(user, quota, fs).add({ bytes: -before.size, files: -1 });
      this.settle(user, undefined, -before.size);
    } catch (error) {
      this.reportError(error);
    }
  }
}

/** Whether a file exists and its size (directories and errors count as no file). @internal */
export interface FileState {
  readonly exists: boolean;
  readonly size: number;
}

/** @internal */
export async function fileState(fs: FileSystem, path: string): Promise<FileState> {
  try {
    const info = await fs.stat(path);
    return info.type === "file" ? { exists: true, size: info.size } : { exists: false, size: 0 };
  } catch {
    return { exists: false, size: 0 };
  }
}

/** The quota of one running upload. @internal */
export class UploadQuota {
  /** Bytes written so far (after TYPE A conversion). */
  private written = 0;
  /** How much this upload has grown the account so far (never negative). */
  growth = 0;
  /** Files already added to the store by `reserve` before the upload started (0 or 1). */
  reservedFiles = 0;
  private ended = false;

  constructor(
    private readonly ledger: QuotaLedger,
    readonly user: string,
    private readonly quota: AccountQuota,
    private readonly store: QuotaUsageStore,
    private readonly fs: FileSystem,
    private path: string | undefined,
    readonly old: FileState,
    /** Bytes of the old file that stay (REST or APPE); 0 when the upload replaces it. */
    private readonly kept: number,
    /** Where writing starts in the file. */
    private readonly start: number,
    /** The account's recorded usage (the store's, plus what was recorded since this upload started). */
    public usageBytes: number,
  ) {}

  /** STOU: the name chosen. */
  setPath(path: string): void {
    this.path ??= path;
  }

  /**
   * @returns how many of the next `n` bytes fit in the quota (all `n`, or fewer: then the
   *   upload must end with 552 after writing those).
   */
  allow(n: number): number {
    const limit = this.quota.bytes;
    let allowed = n;
    if (limit !== undefined) {
      // The file may end up this large: the limit minus the usage without the old file
      // (with what the user's other uploads running now have added).
      const used = this.usageBytes + this.ledger.growthOfOthers(this);
      const maxSize = Math.max(limit - used + this.old.size, this.kept);
      allowed = Math.max(0, Math.min(n, maxSize - (this.start + this.written)));
    }
    this.written += allowed;
    this.growth = Math.max(0, Math.max(this.kept, this.start + this.written) - this.old.size);
    return allowed;
  }

  /** The upload ended (any way): the file is looked at and the real change recorded. Never rejects. */
  async end(): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    let recorded = 0;
    try {
      if (this.path === undefined) {
        // STOU that never chose a name: give the reserved slot back.
        if (this.reservedFiles > 0) await this.store.add({ bytes: 0, files: -this.reservedFiles });
        return;
      }
      const now = await fileState(this.fs, this.path);
      const files = (now.exists ? 1 : 0) - (this.old.exists ? 1 : 0) - this.reservedFiles;
      const delta = { bytes: now.size - this.old.size, files };
      if (delta.bytes !== 0 || delta.files !== 0) {
        await this.store.add(delta);
        recorded = delta.bytes;
      }
    } catch (error) {
      this.ledger.report(error);
    } finally {
      this.ledger.release(this, recorded);
    }
  }
}

/** The usage of one user name, counted on its file system the first time it is needed. */
class CountedUsage {
  private value: QuotaUsage | undefined;
  private counting: Promise<QuotaUsage> | undefined;

  async get(fs: FileSystem): Promise<QuotaUsage> {
    if (this.value !== undefined) return this.value;
    this.counting ??= measureUsage(fs).then(
      (usage) => {
        this.value ??= usage;
        return this.value;
      },
      (error: unknown) => {
        this.counting = undefined;
        throw error;
      },
    );
    return this.counting;
  }

  async add(delta: QuotaUsage, fs: FileSystem): Promise<void> {
    const value = await this.get(fs);
    // After the await, synchronously: concurrent adds never lose an update.
    const current = this.value ?? value;
    this.value = { bytes: Math.max(0, current.bytes + delta.bytes), files: Math.max(0, current.files + delta.files) };
  }
}

/**
 * Bytes and files under the root of `fs`: every directory listed once, files summed
 * (symbolic links and other entries not counted). @internal
 */
export async function measureUsage(fs: FileSystem): Promise<QuotaUsage> {
  let bytes = 0;
  let files = 0;
  const directories = ["/"];
  for (let dir = directories.pop(); dir !== undefined; dir = directories.pop()) {
    try {
      for await (const entry of fs.list(dir)) {
        const path = dir === "/" ? `/${entry.name}` : `${dir}/${entry.name}`;
        if (entry.type === "file") {
          bytes += entry.size;
          files++;
        } else if (entry.type === "directory") {
          directories.push(path);
        }
      }
    } catch (error) {
      // A directory that vanished meanwhile counts as empty; anything else is a real failure.
      if (storageErrorKindOf(error) !== "not-found") throw error;
    }
  }
  return { bytes, files };
}

import type { BanRecord, DefenderStore } from "@ftpkit/server";
import type { Pool } from "pg";

/** Epoch milliseconds as a timestamptz, exactly (no float rounding). */
const AT = (n: number) => `(timestamptz 'epoch' + $${n}::bigint * interval '1 millisecond')`;
/** A timestamptz column as epoch milliseconds (rounded: before PostgreSQL 14 `extract` is a float). */
const MS = (column: string) => `round(extract(epoch FROM ${column}) * 1000)::float8`;

interface BanRow {
  address: string;
  until: number;
  count: number;
  lifted: boolean;
}

/**
 * The defender's {@link DefenderStore} in PostgreSQL (`ftpkit.defender_bans` and
 * `ftpkit.defender_scores`, created by {@link migrate}), so that every server node sharing the
 * database shares the bans: give each node's `Defender` one of these on the same database, and
 * a ban made on any node refuses the address on all of them (each `isBanned` is one indexed
 * lookup, nothing is cached).
 *
 * Concurrency:
 * - Scores are one row per offence; `addScore` adds one and sums the window under a
 *   per-address advisory lock, so offences on several nodes at once add up exactly.
 * - A ban record only moves forward: an upsert is applied only when `(count, until, lifted)`
 *   is not behind the stored one, so two nodes banning at once keep the later end, and a node
 *   that lifts an expired ban cannot undo a newer ban made meanwhile by another node.
 *
 * Times are the `Defender`'s inputs (epoch milliseconds), stored as `timestamptz`.
 */
export class PostgresDefenderStore implements DefenderStore {
  constructor(private readonly pool: Pool) {}

  async addScore(address: string, score: number, now: number, windowMs: number): Promise<number> {
    const { rows } = await this.pool.query<{ total: number }>(
      `SELECT ftpkit.defender_add_score($1, ${AT(2)}, $3::float8, ${AT(4)}) AS total`,
      [address, Math.round(now), score, Math.round(now - windowMs)],
    );
    return rows[0]?.total ?? score;
  }

  async getBan(address: string): Promise<BanRecord | undefined> {
    const { rows } = await this.pool.query<BanRow>(
      `SELECT ${MS("until")} AS until, count, lifted FROM ftpkit.defender_bans WHERE address = $1`,
      [address],
    );
    const row = rows[0];
    return row === undefined ? undefined : toBan(row);
  }

  async setBan(address: string, ban: BanRecord): Promise<void> {
    // The address's scores go with a new ban (as in MemoryDefenderStore): after it, it starts afresh.
    await this.pool.query(
      `WITH forgotten AS (DELETE FROM ftpkit.defender_scores WHERE address = $1)
       INSERT INTO ftpkit.defender_bans AS b (address, until, count, lifted)
       VALUES ($1, ${AT(2)}, $3, $4)
       ON CONFLICT (address) DO UPDATE
          SET until = excluded.until, count = excluded.count, lifted = excluded.lifted, updated_at = now()
        WHERE (excluded.count, excluded.until, excluded.lifted) >= (b.count, b.until, b.lifted)`,
      [address, Math.round(ban.until), ban.count, ban.lifted === true],
    );
  }

  async removeBan(address: string): Promise<boolean> {
    const { rows } = await this.pool.query<{ removed: boolean }>(
      `WITH forgotten AS (DELETE FROM ftpkit.defender_scores WHERE address = $1),
            removed AS (DELETE FROM ftpkit.defender_bans WHERE address = $1 RETURNING 1)
       SELECT EXISTS (SELECT 1 FROM removed) AS removed`,
      [address],
    );
    return rows[0]?.removed === true;
  }

  async listBans(): Promise<Array<BanRecord & { address: string }>> {
    const { rows } = await this.pool.query<BanRow>(
      `SELECT address, ${MS("until")} AS until, count, lifted FROM ftpkit.defender_bans ORDER BY address`,
    );
    return rows.map((row) => ({ address: row.address, ...toBan(row) }));
  }

  /**
   * Deletes scores older than `before` (epoch ms) for every address. `addScore` forgets an
   * address's old scores when it scores again; call this now and then (with `now -
   * observationWindow`) to drop those of addresses that never came back.
   * @returns how many were deleted.
   */
  async pruneScores(before: number): Promise<number> {
    const result = await this.pool.query(`DELETE FROM ftpkit.defender_scores WHERE at < ${AT(1)}`, [
      Math.round(before),
    ]);
    return result.rowCount ?? 0;
  }
  /**
   * `DefenderStore.prune`: the same as {@link pruneScores}, called by the defender's periodic
   * expiry (`Defender.expire`, which `FtpServer` runs) with the start of the observation window.
   */
  prune(before: number): Promise<number> {
    return this.pruneScores(before);
  }
}

function toBan(row: BanRow): BanRecord {
  return { until: Number(row.until), count: row.count, ...(row.lifted ? { lifted: true } : {}) };
}

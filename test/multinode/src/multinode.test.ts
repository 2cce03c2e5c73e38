/**
 * Three `ftpkit serve` nodes behind HAProxy (TCP mode, PROXY protocol v2, health checks), all
 * on the same PostgreSQL (accounts, defender bans, quota usage) and the same Ceph RADOS Gateway
 * bucket (every account's files under its own prefix): see cluster.ts for the layout.
 *
 * The tests run in order on one cluster: the spread of 100 clients, every file visible from
 * every node, a node SIGKILLed mid-transfer (and started again), a ban on one node refusing
 * the address on all, and finally everything stopped by PID.
 */
import { createHash, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { Writable } from "node:stream";
import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { Client, type ConnectOptions } from "@ftpkit/client";
import { hashPassword } from "@ftpkit/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { alive, type Cluster, describePid, type FtpNode, fromAddress, RawControl, startCluster } from "./index.js";

const KiB = 1024;
const MiB = 1024 * KiB;
const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const PASSWORD = "multinode-secret";
/** Accounts u00..u09 (the 100 clients share them, ten each); each its own prefix of the bucket. */
const USERS = Array.from({ length: 10 }, (_, i) => `u${String(i).padStart(2, "0")}`);
/** Accounts of the node-kill test, one per client so that each node's log tells whom it served. */
const SLOW = Array.from({ length: 9 }, (_, i) => `slow${i}`);
/** The kill test's transfer rate per session, so that transfers are surely running when a node dies. */
const SLOW_RATE = 2 * MiB;
const BANNED = "127.0.0.77";

let cluster: Cluster;

/** A client through the balancer (or to `host:port`), retrying and resuming on a new connection. */
function connect(user: string, extra: Partial<ConnectOptions> = {}): Promise<Client> {
  return Client.connect({
    host: cluster.balancer.host,
    port: cluster.balancer.port,
    user,
    password: PASSWORD,
    keepAlive: false,
    timeout: 20_000,
    retries: 10,
    retryDelay: 200,
    maxRetryDelay: 1000,
    ...extra,
  });
}

/** A client straight to one node (not through the balancer), from 127.0.0.66. */
function connectDirect(node: FtpNode, user: string): Promise<Client> {
  return connect(user, { host: node.options.host, port: node.options.port, transport: fromAddress("127.0.0.66") });
}

async function download(client: Client, path: string, onProgress?: (bytes: number) => void): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk);
      callback();
    },
  });
  await client.download(path, sink, onProgress === undefined ? {} : { onProgress: (p) => onProgress(p.bytes) });
  return Buffer.concat(chunks);
}

async function s3Object(key: string): Promise<Buffer> {
  const got = await cluster.s3Client.send(new GetObjectCommand({ Bucket: cluster.bucket, Key: key }));
  return Buffer.from(await (got.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray());
}

/** Lines of `node`'s log from index `from` on that match `pattern`. */
function linesSince(node: FtpNode, from: number, pattern: RegExp): string[] {
  return node.lines.slice(from).filter((l) => pattern.test(l));
}

beforeAll(async () => {
  const started = Date.now();
  cluster = await startCluster({
    nodes: 3,
    // Loopback is allow-listed by default; here only the balancer's own address is (its health
    // checks, and the clients of the other tests, which all come from 127.0.0.1), so that
    // 127.0.0.77 can be banned. Three wrong passwords ban.
    defender: { allowList: ["127.0.0.1"], threshold: 6 },
  });
  process.stderr.write(`[multinode] PostgreSQL, Ceph RGW, 3 nodes and HAProxy up in ${Date.now() - started} ms\n`);
  // Cheap scrypt for the test accounts: 100 logins at once on 2 cores (production hashes cost ~50 ms).
  const passwordHash = await hashPassword(PASSWORD, { N: 1024 });
  for (const name of USERS) {
    await cluster.accounts.add({
      name,
      passwordHash,
      root: { kind: "s3", bucket: cluster.bucket, prefix: `users/${name}` },
    });
  }
  for (const name of SLOW) {
    await cluster.accounts.add({
      name,
      passwordHash,
      root: { kind: "s3", bucket: cluster.bucket, prefix: "slow" },
      bandwidth: { upload: SLOW_RATE, download: SLOW_RATE },
    });
  }
});

afterAll(async () => {
  await cluster?.stop();
});

describe("three nodes behind HAProxy on PostgreSQL and S3", () => {
  it("spreads 100 clients over the nodes; each uploads and downloads its file, SHA-256 checked, no error", async () => {
    const marks = cluster.nodes.map((n) => n.lines.length);
    const started = Date.now();
    const results = await Promise.allSettled(
      Array.from({ length: 100 }, async (_, k) => {
        const user = USERS[k % USERS.length] as string;
        const data = randomBytes(64 * KiB + k * 1111);
        // Each client from its own address (127.0.1.1-100), as 100 real clients would be: the
        // nodes see it through the PROXY header, and no per-address limit is reached.
        const client = await connect(user, { transport: fromAddress(`127.0.1.${k + 1}`) });
        try {
          await client.upload(data, `c${k}.bin`);
          const back = await download(client, `c${k}.bin`);
          expect(back.length).toBe(data.length);
          expect(sha256(back)).toBe(sha256(data));
        } finally {
          await client.close();
        }
        return data.length;
      }),
    );
    const errors = results.flatMap((r) => (r.status === "rejected" ? [String(r.reason)] : []));
    expect(errors).toEqual([]);
    const bytes = results.reduce((sum, r) => sum + (r.status === "fulfilled" ? r.value : 0), 0);
    // Each node's own log: who logged in there, with the client's own address (from the PROXY
    // header; HAProxy's connections to the nodes all come from 127.0.0.1).
    const logins = cluster.nodes.map((n, i) => linesSince(n, marks[i] ?? 0, / 127\.0\.1\.\d+ login u\d\d$/).length);
    const uploads = cluster.nodes.map((n, i) => linesSince(n, marks[i] ?? 0, / upload \/c\d+\.bin /).length);
    process.stderr.write(
      `[multinode] 100 clients: ${((Date.now() - started) / 1000).toFixed(1)} s, ${(bytes / MiB).toFixed(1)} MiB each way; logins per node ${logins.join("/")}, uploads ${uploads.join("/")}\n`,
    );
    expect(logins.reduce((a, b) => a + b, 0)).toBe(100);
    expect(uploads.reduce((a, b) => a + b, 0)).toBe(100);
    // Round robin over three healthy nodes: 34/33/33.
    for (const count of logins) expect(count).toBeGreaterThanOrEqual(25);
  });

  it("shows every file uploaded through one node from every node (LIST and RETR), connected directly", async () => {
    const files = new Map<string, Buffer>();
    for (const node of cluster.nodes) {
      const data = randomBytes(200 * KiB);
      const name = `from-${node.name}.bin`;
      const client = await connectDirect(node, "u00");
      try {
        await client.upload(data, name);
      } finally {
        await client.close();
      }
      files.set(name, data);
    }
    // u00's files of the first test: c0, c10, ..., c90, uploaded through the balancer.
    const earlier = Array.from({ length: 10 }, (_, i) => `c${i * 10}.bin`);
    for (const node of cluster.nodes) {
      const client = await connectDirect(node, "u00");
      try {
        const names = (await client.list()).map((e) => e.name).sort();
        expect(names).toEqual([...earlier, ...files.keys()].sort());
        for (const [name, data] of files) expect(sha256(await download(client, name))).toBe(sha256(data));
        expect((await download(client, "c90.bin")).length).toBe(64 * KiB + 90 * 1111);
      } finally {
        await client.close();
      }
      // The node's own log says it served these sessions itself.
      expect(node.logLines(/ 127\.0\.0\.66 download \/from-node\d\.bin /).length).toBeGreaterThanOrEqual(3);
    }
  });

  it("a file quota holds across the nodes: of uploads racing on all three, exactly the quota's worth succeed", async () => {
    await cluster.accounts.add({
      name: "quota4",
      passwordHash: await hashPassword(PASSWORD, { N: 1024 }),
      root: { kind: "s3", bucket: cluster.bucket, prefix: "users/quota4" },
      quota: { files: 4 },
    });
    // Two sessions on each node, each uploading one new file at the same moment.
    const clients = await Promise.all(
      cluster.nodes.flatMap((node) => [node, node].map((n) => connectDirect(n, "quota4"))),
    );
    try {
      const outcomes = await Promise.allSettled(
        clients.map((client, k) => client.upload(Buffer.from(`file ${k}\n`), `q${k}.txt`)),
      );
      const refused = outcomes.flatMap((o) => (o.status === "rejected" ? [(o.reason as { code?: unknown }).code] : []));
      expect(outcomes.filter((o) => o.status === "fulfilled")).toHaveLength(4);
      expect(refused).toEqual([552, 552]);
      // The account's row holds the usage of all three nodes.
      expect(await cluster.accounts.usage("quota4")).toMatchObject({ files: 4 });
      expect((await clients[0]?.list())?.length).toBe(4);
    } finally {
      await Promise.all(clients.map((c) => c.close()));
    }
  });

  it("a node SIGKILLed mid-transfer loses only its running transfers; the clients resume them on another node", async () => {
    const big = randomBytes(6 * MiB + 12_345);
    await cluster.s3Client.send(new PutObjectCommand({ Bucket: cluster.bucket, Key: "slow/big.bin", Body: big }));
    const marks = cluster.nodes.map((n) => n.lines.length);
    const progress = new Map<string, number>();
    const uploads = new Map<string, Buffer>();
    const transfers = SLOW.map(async (user, k) => {
      const client = await connect(user);
      try {
        const onProgress = (bytes: number) => progress.set(user, bytes);
        if (k % 2 === 1) {
          // Uploads from bytes are resumable (SIZE, then APPE) by the client.
          const data = randomBytes(4 * MiB + k);
          uploads.set(user, data);
          await client.upload(data, `up-${user}.bin`, { onProgress: (p) => onProgress(p.bytes) });
          return "upload";
        }
        const got = await download(client, "big.bin", onProgress);
        expect(got.length).toBe(big.length);
        expect(sha256(got)).toBe(sha256(big));
        return "download";
      } finally {
        await client.close();
      }
    });
    // Every transfer has moved data (at 2 MiB/s each: all of them are running now).
    await expect
      .poll(() => SLOW.every((u) => (progress.get(u) ?? 0) >= 256 * KiB), { timeout: 30_000, interval: 50 })
      .toBe(true);
    const nodeOf = (user: string) =>
      cluster.nodes.findIndex((n, i) => linesSince(n, marks[i] ?? 0, new RegExp(` login ${user}$`)).length > 0);
    const placement = new Map(SLOW.map((u) => [u, nodeOf(u)]));
    expect([...placement.values()].every((i) => i >= 0)).toBe(true);
    // The victim: a node running both an upload and a download (round robin over 3/3/3
    // connections always gives one node both), else one running anything.
    const on = (i: number) => SLOW.filter((u) => placement.get(u) === i);
    const mixed = cluster.nodes.findIndex(
      (_, i) => on(i).some((u) => uploads.has(u)) && on(i).some((u) => !uploads.has(u)),
    );
    const victimIndex = mixed >= 0 ? mixed : cluster.nodes.findIndex((_, i) => on(i).length > 0);
    const victim = cluster.nodes[victimIndex] as FtpNode;
    const lost = SLOW.filter((u) => placement.get(u) === victimIndex);
    const kept = SLOW.filter((u) => placement.get(u) !== victimIndex);
    expect(kept.every((u) => (placement.get(u) ?? -1) >= 0)).toBe(true);
    const killedAt = new Map(lost.map((u) => [u, progress.get(u) ?? 0]));
    await victim.kill();
    const outcomes = await Promise.allSettled(transfers);
    expect(outcomes.flatMap((o) => (o.status === "rejected" ? [String(o.reason)] : []))).toEqual([]);
    // Uploads landed whole in S3 (read back from the bucket, not through FTP).
    for (const [user, data] of uploads) expect(sha256(await s3Object(`slow/up-${user}.bin`))).toBe(sha256(data));
    const others = cluster.nodes.filter((n) => n !== victim);
    const othersSince = (pattern: RegExp) =>
      others.flatMap((n) => linesSince(n, marks[cluster.nodes.indexOf(n)] ?? 0, pattern));
    for (const user of lost) {
      // Logged in again on a surviving node...
      expect(othersSince(new RegExp(` login ${user}$`)).length).toBeGreaterThan(0);
      // ...where an interrupted upload was sent again: S3 published nothing of the killed
      // node's multipart upload, so SIZE found no file and the client sent it from byte 0.
      if (uploads.has(user)) expect(othersSince(new RegExp(` upload /up-${user}\\.bin \\([^,]*\\)$`))).toHaveLength(1);
    }
    // ...and each interrupted download went on there from where it broke off (REST), never from 0.
    const resumed = othersSince(/ download \/big\.bin \(.*, from byte (\d+)\)$/).map((l) =>
      Number(/from byte (\d+)\)$/.exec(l)?.[1]),
    );
    const lostDownloads = lost.filter((u) => !uploads.has(u));
    expect(resumed.length).toBe(lostDownloads.length);
    for (const offset of resumed) expect(offset).toBeGreaterThan(0);
    // Sessions on the other nodes were not disturbed: each transfer there ran once, from byte 0.
    for (const user of kept) {
      const node = cluster.nodes[placement.get(user) ?? 0] as FtpNode;
      const mark = marks[placement.get(user) ?? 0] ?? 0;
      expect(linesSince(node, mark, new RegExp(` login ${user}$`))).toHaveLength(1);
    }
    const fullOnOthers = othersSince(/ download \/big\.bin \([^,]*\)$/).length;
    expect(fullOnOthers).toBe(kept.filter((u) => !uploads.has(u)).length);
    process.stderr.write(
      `[multinode] ${victim.name} killed with ${lost.length} transfers on it (${lost.filter((u) => uploads.has(u)).length} uploads) (at ${[...killedAt.values()].map((b) => `${(b / MiB).toFixed(1)} MiB`).join(", ")}); resumed downloads from bytes ${resumed.join(", ")}\n`,
    );

    // The node comes back: HAProxy's health check puts it in the rotation again.
    const mark = victim.lines.length;
    await victim.start();
    await expect
      .poll(
        async () => {
          const probe = await RawControl.open(cluster.balancer.host, cluster.balancer.port, "127.0.0.1");
          await probe.next();
          await probe.send("QUIT");
          probe.close();
          return linesSince(victim, mark, / connect /).length > 0;
        },
        { timeout: 20_000, interval: 100 },
      )
      .toBe(true);
  });

  it("a ban made on one node refuses the address on every node (the PROXY header's source address)", async () => {
    const marks = cluster.nodes.map((n) => n.lines.length);
    // A guesser from 127.0.0.77 through the balancer: wrong passwords until it is cut off.
    const guesser = await RawControl.open(cluster.balancer.host, cluster.balancer.port, BANNED);
    expect((await guesser.next())?.code).toBe(220);
    for (let i = 0; i < 5 && !guesser.closed; i++) {
      if ((await guesser.send("USER u00"))?.code !== 331) break;
      await guesser.send(`PASS guess-${i}`);
    }
    guesser.close();
    // The ban is recorded (in the database) and logged by the node the guesser reached.
    const bannedBy = () =>
      cluster.nodes.filter((n, i) => linesSince(n, marks[i] ?? 0, / ban 127\.0\.0\.77 /).length > 0);
    await expect.poll(() => bannedBy().length, { timeout: 10_000, interval: 50 }).toBe(1);
    const banners = bannedBy();
    const { rows } = await cluster.pool.query<{ address: string }>(
      "SELECT address FROM ftpkit.defender_bans WHERE NOT lifted AND until > now()",
    );
    expect(rows.map((r) => r.address)).toEqual([BANNED]);

    // Through the balancer, round robin: every node refuses it (421), not only the one that banned it.
    const greetings: number[] = [];
    for (let i = 0; i < 30; i++) {
      const c = await RawControl.open(cluster.balancer.host, cluster.balancer.port, BANNED);
      greetings.push((await c.next())?.code ?? 0);
      c.close();
      const refusedBy = cluster.nodes.map((n, j) => linesSince(n, marks[j] ?? 0, / refused 127\.0\.0\.77 \(banned\)$/));
      if (i >= 5 && refusedBy.every((lines) => lines.length > 0)) break;
    }
    expect(greetings.every((code) => code === 421)).toBe(true);
    for (const [j, node] of cluster.nodes.entries()) {
      expect(linesSince(node, marks[j] ?? 0, / refused 127\.0\.0\.77 \(banned\)$/).length).toBeGreaterThan(0);
    }
    // Straight to each node too (no balancer, no PROXY header: the socket's own address).
    for (const node of cluster.nodes) {
      const c = await RawControl.open(node.options.host, node.options.port, BANNED);
      expect((await c.next())?.code).toBe(421);
      c.close();
    }
    // Another address is not affected: it logs in through the balancer and transfers (its data
    // connections also pass through HAProxy with a PROXY header naming 127.0.0.78).
    const other = await connect("u01", { transport: fromAddress("127.0.0.78") });
    try {
      await other.upload(Buffer.from("still welcome\n"), "welcome.txt");
      expect((await download(other, "welcome.txt")).toString()).toBe("still welcome\n");
    } finally {
      await other.close();
    }
    process.stderr.write(
      `[multinode] ${BANNED} banned by ${banners[0]?.name}, refused ${greetings.length} times through HAProxy and once by each node directly\n`,
    );
  });

  it("stops everything by PID and removes the temporary directories", async () => {
    const pids = await cluster.pids();
    // HAProxy, three nodes, the postmaster, Ceph's mon, OSD and radosgw.
    expect(pids.length).toBe(1 + 3 + 1 + 3);
    const dirs = [cluster.dir, cluster.postgres.dir, cluster.s3.dir, cluster.balancer.haproxy.dir];
    const names = new Map(pids.map((pid) => [pid, describePid(pid)]));
    await cluster.stop();
    expect(pids.filter(alive).map((pid) => names.get(pid))).toEqual([]);
    expect(dirs.filter((d) => existsSync(d))).toEqual([]);
  });
});

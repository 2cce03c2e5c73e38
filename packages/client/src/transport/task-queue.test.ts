import { describe, expect, it } from "vitest";
import { collector, connect, faultServer, random } from "../__tests__/helpers.js";
import { TaskQueue } from "./task-queue.js";

const tick = () => new Promise((resolve) => setTimeout(resolve, 1));

describe("TaskQueue", () => {
  it("runs tasks one at a time, in order", async () => {
    const queue = new TaskQueue();
    const log: string[] = [];
    let running = 0;
    const task = (name: string) => async () => {
      running++;
      expect(running).toBe(1);
      log.push(`start ${name}`);
      await tick();
      log.push(`end ${name}`);
      running--;
      return name;
    };
    const results = await Promise.all(["a", "b", "c"].map((n) => queue.run(task(n))));
    expect(results).toEqual(["a", "b", "c"]);
    expect(log).toEqual(["start a", "end a", "start b", "end b", "start c", "end c"]);
  });

  it("isolates failures: a failing or throwing task does not stop the next", async () => {
    const queue = new TaskQueue();
    const a = queue.run(async () => {
      throw new Error("a");
    });
    const b = queue.run(() => {
      throw new Error("sync b");
    });
    const c = queue.run(async () => "c");
    await expect(a).rejects.toThrow("a");
    await expect(b).rejects.toThrow("sync b");
    await expect(c).resolves.toBe("c");
  });

  it("drops an aborted waiting task and reports its size; calls onIdle when drained", async () => {
    let idle = 0;
    const queue = new TaskQueue(() => idle++);
    const controller = new AbortController();
    let ran = false;
    const first = queue.run(tick);
    const second = queue.run(async () => {
      ran = true;
    }, controller.signal);
    expect(queue.size).toBe(2);
    controller.abort("stop");
    await expect(second).rejects.toBe("stop");
    await first;
    await tick();
    expect(ran).toBe(false);
    expect(queue.size).toBe(0);
    expect(idle).toBeGreaterThan(0);
  });
});

describe("Client queue", () => {
  it("runs any number of concurrent calls in call order; none fails because another runs", async () => {
    const data = random(100_000);
    const server = await faultServer({ files: { "/f": data } });
    const client = await connect(server);
    const calls: Promise<unknown>[] = [];
    for (let i = 0; i < 10; i++) {
      calls.push(client.mkdir(`/d${i}`));
      calls.push(client.upload(data, `/d${i}/f`));
      calls.push(client.download(`/d${i}/f`, collector()));
      calls.push(client.list(`/d${i}`));
      calls.push(client.size(`/d${i}/f`));
    }
    const failing = client.remove("/nope");
    const results = await Promise.allSettled([...calls, failing]);
    expect(results.slice(0, -1).every((r) => r.status === "fulfilled")).toBe(true);
    expect(results.at(-1)).toMatchObject({ status: "rejected", reason: { code: 550 } });
    const order = server.commands.filter((c) => /^(MKD|STOR|RETR|MLSD|SIZE) /.test(c));
    const expected: string[] = [];
    for (let i = 0; i < 10; i++) {
      expected.push(`MKD /d${i}`, `STOR /d${i}/f`, `SIZE /d${i}/f`, `RETR /d${i}/f`, `MLSD /d${i}`, `SIZE /d${i}/f`);
    }
    expect(order).toEqual(expected);
    expect(server.connections).toBe(1);
  });
});

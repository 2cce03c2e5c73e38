import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { ChunkedBytes } from "./chunked-bytes.js";

type Op = { op: "write"; position: number; data: Uint8Array } | { op: "truncate"; size: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    op: fc.constant("write" as const),
    position: fc.nat(60),
    data: fc.uint8Array({ minLength: 0, maxLength: 20 }),
  }),
  fc.record({ op: fc.constant("truncate" as const), size: fc.nat(70) }),
);

/** The reference: one flat Buffer, grown and cut like a POSIX file. */
function applyToModel(model: Buffer, op: Op): Buffer {
  if (op.op === "truncate") {
    const next = Buffer.alloc(op.size);
    model.copy(next, 0, 0, Math.min(model.length, op.size));
    return next;
  }
  const end = op.position + op.data.length;
  const next = end > model.length ? Buffer.concat([model, Buffer.alloc(end - model.length)]) : model;
  next.set(op.data, op.position);
  return next;
}

describe("ChunkedBytes", () => {
  test.prop([fc.integer({ min: 1, max: 9 }), fc.array(opArb, { maxLength: 30 }), fc.nat(80), fc.nat(30)])(
    "behaves like one flat buffer for any chunk size and any writes and truncations",
    (chunkSize, ops, readStart, readMax) => {
      const bytes = new ChunkedBytes(chunkSize);
      let model: Buffer = Buffer.alloc(0);
      for (const op of ops) {
        if (op.op === "write") bytes.write(op.position, op.data);
        else bytes.truncate(op.size);
        model = applyToModel(model, op);
        expect(bytes.size).toBe(model.length);
      }
      expect(bytes.read(0, bytes.size)).toEqual(model);
      expect(bytes.read(readStart, readMax)).toEqual(model.subarray(readStart, readStart + readMax));
      expect(Buffer.concat([...bytes.views(Math.min(readStart, model.length))])).toEqual(
        model.subarray(Math.min(readStart, model.length)),
      );
      const copy = bytes.clone();
      bytes.write(0, new Uint8Array([0xff]));
      expect(copy.read(0, copy.size)).toEqual(model);
    },
  );

  it("keeps a write far past the end sparse and reads the hole as zeros", () => {
    const bytes = new ChunkedBytes(1024);
    bytes.write(2 ** 40, Buffer.from("x"));
    expect(bytes.size).toBe(2 ** 40 + 1);
    expect(bytes.read(2 ** 40 - 2, 10)).toEqual(Buffer.from([0, 0, 0x78]));
  });

  it("refuses negative and unsafe positions", () => {
    const bytes = new ChunkedBytes();
    expect(() => bytes.write(-1, Buffer.from("x"))).toThrow(RangeError);
    expect(() => bytes.write(Number.MAX_SAFE_INTEGER, Buffer.from("xy"))).toThrow(RangeError);
    expect(() => bytes.truncate(-1)).toThrow(RangeError);
    expect(() => new ChunkedBytes(0)).toThrow(RangeError);
  });
});

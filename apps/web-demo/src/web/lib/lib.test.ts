import { describe, expect, it } from "vitest";
import type { Entry, GatewayEvent } from "../../shared/api.js";
import { initialValues, toRequest } from "../components/ConnectForm.js";
import {
  breadcrumbs,
  checkName,
  formatDate,
  formatRate,
  formatSize,
  joinPath,
  normalizePath,
  parentPath,
} from "./format.js";
import { EMPTY_INSPECTOR, type InspectorState, inspectorReducer, maskPass } from "./inspector.js";
import { nextOrder, sortEntries } from "./sort.js";

const entry = (name: string, type: Entry["type"], size?: number, modified?: string): Entry => ({
  name,
  type,
  size,
  modified,
  permissions: undefined,
  target: undefined,
});

describe("format", () => {
  it("sizes, rates and dates for people", () => {
    expect(formatSize(0)).toBe("0 B");
    expect(formatSize(1023)).toBe("1023 B");
    expect(formatSize(1536)).toBe("1.50 KiB");
    expect(formatSize(300 * 1024)).toBe("300 KiB");
    expect(formatSize(12.5 * 1024 * 1024)).toBe("12.5 MiB");
    expect(formatSize(undefined)).toBe("—");
    expect(formatRate(2 * 1024 * 1024)).toBe("2.00 MiB/s");
    expect(formatRate(0)).toBe("—");
    expect(formatDate("2024-01-31T14:15:09.000Z")).toBe("2024-01-31 14:15");
    expect(formatDate(undefined)).toBe("—");
    expect(formatDate("not a date")).toBe("—");
  });

  it("paths and breadcrumbs", () => {
    expect(normalizePath("/a//b/./c/../d/")).toBe("/a/b/d");
    expect(normalizePath("/../..")).toBe("/");
    expect(parentPath("/a/b")).toBe("/a");
    expect(parentPath("/")).toBe("/");
    expect(joinPath("/a", "b c.txt")).toBe("/a/b c.txt");
    expect(breadcrumbs("/docs/2024")).toEqual([
      { name: "/", path: "/" },
      { name: "docs", path: "/docs" },
      { name: "2024", path: "/docs/2024" },
    ]);
  });

  it("checks names before anything is sent", () => {
    expect(checkName("report.pdf")).toBeUndefined();
    expect(checkName(" ")).toBe("Enter a name.");
    expect(checkName("..")).toBe("That name is reserved.");
    expect(checkName("a/b")).toBe("A name cannot contain “/”.");
    expect(checkName("a\r\nDELE x")).toBe("A name cannot contain line breaks.");
  });
});

describe("sort", () => {
  const list = [
    entry("b.txt", "file", 10, "2024-01-02T00:00:00Z"),
    entry("Zeta", "directory"),
    entry("a10.txt", "file", 5, "2024-01-03T00:00:00Z"),
    entry("a2.txt", "file", 50, "2024-01-01T00:00:00Z"),
    entry("alpha", "directory"),
  ];

  it("puts folders first, names in natural order, and sorts by size or date either way", () => {
    expect(sortEntries(list, { key: "name", descending: false }).map((e) => e.name)).toEqual([
      "alpha",
      "Zeta",
      "a2.txt",
      "a10.txt",
      "b.txt",
    ]);
    expect(sortEntries(list, { key: "size", descending: true }).map((e) => e.name)).toEqual([
      "alpha",
      "Zeta",
      "a2.txt",
      "b.txt",
      "a10.txt",
    ]);
    expect(
      sortEntries(list, { key: "modified", descending: false })
        .map((e) => e.name)
        .slice(2),
    ).toEqual(["a2.txt", "b.txt", "a10.txt"]);
    expect(list[0]?.name).toBe("b.txt"); // not changed in place
  });

  it("a second click on a column reverses it", () => {
    const byName = { key: "name", descending: false } as const;
    expect(nextOrder(byName, "name")).toEqual({ key: "name", descending: true });
    expect(nextOrder({ key: "name", descending: true }, "size")).toEqual({ key: "size", descending: false });
  });
});

describe("inspector model", () => {
  const events: GatewayEvent[] = [
    { type: "command", seq: 1, time: 0, connection: 1, text: "USER dev" },
    { type: "reply", seq: 2, time: 0, connection: 1, code: 331, lines: ["Password?"], command: "USER dev" },
    { type: "command", seq: 3, time: 0, connection: 1, text: "PASS hunter2" },
    { type: "reply", seq: 4, time: 0, connection: 1, code: 230, lines: ["Welcome."], command: "PASS ****" },
    { type: "reply", seq: 5, time: 0, connection: 1, code: 259, lines: ["Odd."], command: "NOOP" },
    { type: "reply", seq: 6, time: 0, connection: 1, code: 299, lines: ["Odder."], command: "NOOP" },
    {
      type: "transfer",
      seq: 7,
      time: 0,
      id: 1,
      direction: "upload",
      path: "/a.bin",
      state: "running",
      mode: "EPSV",
      bytes: 10,
      total: 100,
      rate: 5,
    },
    {
      type: "transfer",
      seq: 8,
      time: 0,
      id: 1,
      direction: "upload",
      path: "/a.bin",
      state: "done",
      mode: "EPSV",
      bytes: 100,
      total: 100,
      rate: 50,
    },
  ];
  const fold = (list: readonly GatewayEvent[], from: InspectorState = EMPTY_INSPECTOR) =>
    list.reduce(inspectorReducer, from);

  it("explains every reply code from the protocol package's table, and masks PASS again", () => {
    const state = fold(events);
    expect(state.rows.map((r) => (r.kind === "reply" ? `${r.code}:${r.meaning}` : r.text))).toEqual([
      "USER dev",
      "331:User name okay, need password.",
      "PASS ****",
      "230:User logged in, proceed.",
      "259:Unlisted completion reply about file-system.",
      "299:Not a reply code RFC 959 defines.",
    ]);
    const odd = state.rows[4];
    expect(odd?.kind === "reply" && odd.known).toBe(false);
    expect(JSON.stringify(state)).not.toContain("hunter2");
    expect(maskPass("pass x")).toBe("PASS ****");
    expect(maskPass("PASV")).toBe("PASV");
  });

  it("keeps one row per transfer, updated, and ignores replayed events", () => {
    const state = fold([...events, ...events]);
    expect(state.transfers).toEqual([
      expect.objectContaining({ id: 1, state: "done", bytes: 100, mode: "EPSV", direction: "upload" }),
    ]);
    expect(state.rows).toHaveLength(6);
    const cleared = inspectorReducer(state, { type: "clear" });
    expect(cleared.rows).toEqual([]);
    expect(fold(events, cleared).rows).toEqual([]); // already seen
    const next = inspectorReducer(cleared, { type: "session", session: "other" });
    expect(fold(events.slice(0, 1), next).rows).toHaveLength(1); // a new session counts from 1 again
  });
});

describe("connect form values", () => {
  const preset = { host: "127.0.0.1", port: 2121, user: "dev", secure: false, passwordKnown: true, label: "bundled" };

  it("are the preset's, or the query string's, never a password", () => {
    expect(initialValues(preset, "")).toEqual({
      host: "127.0.0.1",
      port: "2121",
      user: "dev",
      password: "",
      secure: false,
    });
    expect(initialValues(preset, "?host=ftp.example.com&port=21&user=anonymous&tls=1&password=x")).toEqual({
      host: "ftp.example.com",
      port: "21",
      user: "anonymous",
      password: "",
      secure: true,
    });
    expect(initialValues(undefined, "").port).toBe("21");
  });

  it("are checked before sending, in plain words", () => {
    const ok = { host: " 127.0.0.1 ", port: "2121", user: "dev", password: "", secure: false };
    expect(toRequest(ok)).toEqual({ host: "127.0.0.1", port: 2121, user: "dev", password: "", secure: false });
    expect(toRequest({ ...ok, host: "" })).toBe("Enter the server's host name or address.");
    expect(toRequest({ ...ok, port: "70000" })).toBe("The port is a number from 1 to 65535.");
    expect(toRequest({ ...ok, port: "abc" })).toBe("The port is a number from 1 to 65535.");
    expect(toRequest({ ...ok, user: "" })).toMatch(/^Enter a user name/);
  });
});

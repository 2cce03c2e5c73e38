// @vitest-environment happy-dom
import { act, type ReactElement } from "react";
import { createRoot, type Root } from "react-dom/client";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import type { ConnectRequest, Entry, GatewayEvent, ListResponse, SessionInfo } from "../../shared/api.js";
import { App } from "../App.js";
import { ApiFailure, type GatewayApi, type UploadHandle } from "../api.js";
import { EMPTY_INSPECTOR, inspectorReducer } from "../lib/inspector.js";
import { ConnectForm, initialValues } from "./ConnectForm.js";
import { FileBrowser } from "./FileBrowser.js";
import { Inspector } from "./Inspector.js";
import { Playground } from "./Playground.js";

beforeAll(() => {
  (globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;
});

let root: Root | undefined;
let host: HTMLElement | undefined;

afterEach(() => {
  act(() => root?.unmount());
  host?.remove();
  root = undefined;
});

async function render(ui: ReactElement): Promise<HTMLElement> {
  host = document.createElement("div");
  document.body.append(host);
  root = createRoot(host);
  await act(async () => root?.render(ui));
  return host;
}

/** Lets pending promises and React updates run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await act(async () => new Promise((r) => setTimeout(r, 0)));
}

async function click(el: Element | null | undefined): Promise<void> {
  if (!el) throw new Error("nothing to click");
  await act(async () => (el as HTMLElement).click());
  await settle();
}

async function type(input: Element | null | undefined, value: string): Promise<void> {
  if (!(input instanceof HTMLInputElement)) throw new Error("not an input");
  const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, "value")?.set;
  await act(async () => {
    setter?.call(input, value);
    input.dispatchEvent(new Event("input", { bubbles: true }));
  });
}

/** The input a <label> names (by its text). */
function field(container: HTMLElement, label: string): HTMLInputElement {
  for (const l of container.querySelectorAll("label")) {
    if (l.textContent?.trim() !== label) continue;
    const target = l.htmlFor ? container.querySelector(`[id="${l.htmlFor}"]`) : l.querySelector("input");
    if (target instanceof HTMLInputElement) return target;
  }
  throw new Error(`no field labelled ${label}`);
}

function button(container: ParentNode, name: string): HTMLButtonElement {
  const found = [...container.querySelectorAll("button")].find(
    (b) => b.getAttribute("aria-label") === name || b.textContent?.trim() === name,
  );
  if (!found) throw new Error(`no button ${name}`);
  return found;
}

const PRESET = {
  host: "127.0.0.1",
  port: 2121,
  user: "dev",
  secure: false,
  passwordKnown: true,
  label: "the bundled server",
};

const entry = (name: string, type: Entry["type"], size?: number): Entry => ({
  name,
  type,
  size,
  modified: "2024-05-01T10:00:00Z",
  permissions: type === "directory" ? "rwxr-xr-x" : "rw-r--r--",
  target: undefined,
});

/** A stand-in for the gateway: an in-memory tree and a call log. */
function fakeApi(options: { failList?: string } = {}) {
  const calls: string[] = [];
  const tree = new Map<string, Entry[]>([
    ["/", [entry("b.txt", "file", 2048), entry("docs", "directory"), entry("a.txt", "file", 10)]],
    ["/docs", [entry("inner.txt", "file", 1)]],
  ]);
  const uploads: { path: string; progress: (sent: number, total: number) => void; finish: () => void }[] = [];
  const api = {
    async session(): Promise<SessionInfo> {
      return { token: "t", connected: false, preset: PRESET, allowed: ["127.0.0.1:2121"], sessionTtl: 1000, seq: 0 };
    },
    async connect(request: ConnectRequest) {
      calls.push(`connect ${request.host}:${request.port} ${request.user} [${request.password}]`);
      if (request.password === "wrong") throw new ApiFailure("login-failed", "Login failed: wrong password.", 401);
      return { cwd: "/", server: `${request.host}:${request.port}`, user: request.user, secure: request.secure };
    },
    async disconnect() {
      calls.push("disconnect");
      return api.session();
    },
    async list(path: string): Promise<ListResponse> {
      calls.push(`list ${path}`);
      if (path === options.failList) throw new ApiFailure("not-found", `Could not open ${path}: it is not there.`, 404);
      return { path, entries: tree.get(path) ?? [] };
    },
    async mkdir(path: string) {
      calls.push(`mkdir ${path}`);
      tree.get("/")?.push(entry(path.slice(1), "directory"));
    },
    async rename(from: string, to: string) {
      calls.push(`rename ${from} ${to}`);
    },
    async remove(path: string, directory: boolean) {
      calls.push(`remove ${path} ${directory}`);
      const list = tree.get("/") ?? [];
      tree.set(
        "/",
        list.filter((e) => `/${e.name}` !== path),
      );
    },
    async downloadTicket(path: string) {
      calls.push(`ticket ${path}`);
      return { url: "/api/download/x", size: 1 };
    },
    upload(file: Blob, path: string, onProgress: (sent: number, total: number) => void): UploadHandle {
      calls.push(`upload ${path} ${file.size}`);
      let finish!: () => void;
      const done = new Promise<{ path: string; bytes: number }>((resolve) => {
        finish = () => resolve({ path, bytes: file.size });
      });
      uploads.push({ path, progress: onProgress, finish });
      return { done, cancel: () => undefined };
    },
    events(onEvent: (e: GatewayEvent) => void) {
      api.emit = onEvent;
      return () => undefined;
    },
    emit: (_e: GatewayEvent): void => undefined,
  };
  return { api, calls, uploads, gateway: api as unknown as GatewayApi };
}

describe("ConnectForm", () => {
  it("is filled in for the preset, labels every field, and says what is wrong in plain words", async () => {
    const onConnect = vi.fn(async (_r: ConnectRequest) => {
      throw new ApiFailure("login-failed", "Login failed: the server did not accept that user name and password.", 401);
    });
    const c = await render(
      <ConnectForm
        preset={PRESET}
        allowed={["127.0.0.1:2121"]}
        initial={initialValues(PRESET, "")}
        onConnect={onConnect}
      />,
    );
    expect(field(c, "Host").value).toBe("127.0.0.1");
    expect(field(c, "Port").value).toBe("2121");
    expect(field(c, "User").value).toBe("dev");
    expect(field(c, "Password").value).toBe("");
    expect(field(c, "Password").type).toBe("password");
    expect(field(c, "Password").placeholder).toBe("known to the gateway");
    expect(c.textContent).toContain("This gateway may connect to 127.0.0.1:2121.");

    await type(field(c, "Port"), "99999");
    await click(button(c, "Connect"));
    expect(c.querySelector('[role="alert"]')?.textContent).toBe("The port is a number from 1 to 65535.");
    expect(onConnect).not.toHaveBeenCalled();

    await type(field(c, "Port"), "2121");
    await type(field(c, "Password"), "nope");
    await click(c.querySelector('input[type="radio"]:not(:checked)'));
    await click(button(c, "Connect"));
    expect(onConnect).toHaveBeenCalledWith({
      host: "127.0.0.1",
      port: 2121,
      user: "dev",
      password: "nope",
      secure: true,
    });
    expect(c.querySelector('[role="alert"]')?.textContent).toMatch(/^Login failed/);
    // Usable again.
    expect(button(c, "Connect").disabled).toBe(false);
  });
});

describe("FileBrowser", () => {
  const props = (api: GatewayApi) => ({
    api,
    server: "127.0.0.1:2121",
    user: "dev",
    secure: false,
    initialPath: "/",
    onDisconnect: () => undefined,
    onSessionLost: () => undefined,
  });

  const names = (c: HTMLElement) =>
    [...c.querySelectorAll("tbody tr[data-name]")].map((r) => r.getAttribute("data-name"));

  it("lists folders first, sorts by column, and goes into and up from folders with breadcrumbs", async () => {
    const { gateway, calls } = fakeApi();
    const c = await render(<FileBrowser {...props(gateway)} />);
    await settle();
    expect(names(c)).toEqual(["docs", "a.txt", "b.txt"]);
    const sizeHeader = [...c.querySelectorAll("th")].find((th) => th.textContent?.startsWith("Size"));
    expect(sizeHeader?.getAttribute("aria-sort")).toBe("none");
    await click(sizeHeader?.querySelector("button"));
    expect(sizeHeader?.getAttribute("aria-sort")).toBe("ascending");
    expect(sizeHeader?.textContent).toBe("Size ▲");
    await click(sizeHeader?.querySelector("button"));
    expect(sizeHeader?.getAttribute("aria-sort")).toBe("descending");
    expect(names(c)).toEqual(["docs", "b.txt", "a.txt"]);
    expect(c.querySelector('tr[data-name="b.txt"] td.num')?.textContent).toBe("2.00 KiB");
    expect(c.querySelector('tr[data-name="b.txt"] code')?.textContent).toBe("rw-r--r--");

    await click(button(c, "docs"));
    expect(calls).toContain("list /docs");
    expect(c.querySelector('[aria-current="page"]')?.textContent).toBe("docs");
    expect(names(c)).toEqual(["inner.txt"]);
    await click(button(c, "↑ Up"));
    expect(names(c)).toEqual(["docs", "b.txt", "a.txt"]); // the order stays
    expect(button(c, "↑ Up").disabled).toBe(true);
  });

  it("deletes only after the confirmation, and creates and renames through dialogs", async () => {
    const { gateway, calls } = fakeApi();
    const c = await render(<FileBrowser {...props(gateway)} />);
    await settle();
    await click(button(c, "Delete a.txt"));
    const confirm = c.querySelector('[role="alertdialog"]');
    expect(confirm?.textContent).toContain("a.txt will be deleted from the server. This cannot be undone.");
    expect(document.activeElement?.textContent).toBe("Cancel");
    await click(button(confirm as Element, "Cancel"));
    expect(calls.some((l) => l.startsWith("remove"))).toBe(false);
    await click(button(c, "Delete a.txt"));
    await click(button(c.querySelector('[role="alertdialog"]') as Element, "Delete"));
    expect(calls).toContain("remove /a.txt false");
    expect(names(c)).not.toContain("a.txt");
    expect(c.querySelector('[role="status"]')?.textContent).toContain("Deleted a.txt.");

    await click(button(c, "+ New folder"));
    const dialog = c.querySelector('[role="dialog"]') as HTMLElement;
    await type(field(dialog, "Folder name"), "a/b");
    await click(button(dialog, "Create"));
    expect(dialog.querySelector('[role="alert"]')?.textContent).toBe("A name cannot contain “/”.");
    await type(field(dialog, "Folder name"), "new");
    await click(button(dialog, "Create"));
    expect(calls).toContain("mkdir /new");
    expect(c.querySelector('[role="dialog"]')).toBeNull();

    await click(button(c, "Rename b.txt"));
    const rename = c.querySelector('[role="dialog"]') as HTMLElement;
    expect(field(rename, "New name").value).toBe("b.txt");
    await type(field(rename, "New name"), "c.txt");
    await act(async () =>
      rename.querySelector("form")?.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true })),
    );
    expect(c.querySelector('[role="dialog"]')).toBeNull();
    expect(calls.some((l) => l.startsWith("rename"))).toBe(false);
    await click(button(c, "Rename b.txt"));
    await type(field(c.querySelector('[role="dialog"]') as HTMLElement, "New name"), "c.txt");
    await click(button(c.querySelector('[role="dialog"]') as Element, "Rename"));
    expect(calls).toContain("rename /b.txt /c.txt");
  });

  it("uploads several files one after another, each with its own progress bar", async () => {
    const { gateway, calls, uploads } = fakeApi();
    const c = await render(<FileBrowser {...props(gateway)} />);
    await settle();
    const input = c.querySelector('input[type="file"]') as HTMLInputElement;
    expect(input.multiple).toBe(true);
    const files = [new File(["x".repeat(1000)], "one.bin"), new File(["y".repeat(10)], "two.txt")];
    Object.defineProperty(input, "files", { value: files, configurable: true });
    await act(async () => input.dispatchEvent(new Event("change", { bubbles: true })));
    await settle();
    const bars = () => [...c.querySelectorAll("li.upload")];
    expect(bars().map((li) => li.className)).toEqual(["upload sending", "upload queued"]);
    expect(calls.filter((l) => l.startsWith("upload"))).toEqual(["upload /one.bin 1000"]);
    await act(async () => uploads[0]?.progress(400, 1000));
    expect(bars()[0]?.querySelector("progress")?.value).toBe(400);
    expect(bars()[0]?.textContent).toContain("400 B of 1000 B");
    await act(async () => uploads[0]?.finish());
    await settle();
    expect(calls.filter((l) => l.startsWith("upload"))).toEqual(["upload /one.bin 1000", "upload /two.txt 10"]);
    await act(async () => uploads[1]?.finish());
    await settle();
    expect(bars().map((li) => li.className)).toEqual(["upload done", "upload done"]);
    expect(c.querySelector('[aria-label="Upload of two.txt"]')).not.toBeNull();
  });

  it("shows a failed call in plain words and stays usable", async () => {
    const { gateway } = fakeApi({ failList: "/docs" });
    const c = await render(<FileBrowser {...props(gateway)} />);
    await settle();
    await click(button(c, "docs"));
    expect(c.querySelector('[role="alert"]')?.textContent).toContain("Could not open /docs: it is not there.");
    expect(names(c)).toEqual(["docs", "a.txt", "b.txt"]);
    await click(button(c, "⟳ Refresh"));
    expect(names(c)).toEqual(["docs", "a.txt", "b.txt"]);
  });
});

describe("Inspector", () => {
  it("shows commands and replies with the reply code's meaning, and transfers with mode and rate", async () => {
    const events: GatewayEvent[] = [
      { type: "command", seq: 1, time: 0, connection: 1, text: "PASS secret" },
      { type: "reply", seq: 2, time: 0, connection: 1, code: 230, lines: ["Login successful."], command: "PASS ****" },
      { type: "command", seq: 3, time: 0, connection: 1, text: "STOR /a.bin" },
      {
        type: "reply",
        seq: 4,
        time: 0,
        connection: 1,
        code: 226,
        lines: ["Transfer complete."],
        command: "STOR /a.bin",
      },
      {
        type: "transfer",
        seq: 5,
        time: 0,
        id: 1,
        direction: "upload",
        path: "/a.bin",
        state: "done",
        mode: "EPSV",
        bytes: 3 * 1024 * 1024,
        total: 3 * 1024 * 1024,
        rate: 1024 * 1024,
      },
    ];
    const state = events.reduce(inspectorReducer, EMPTY_INSPECTOR);
    const c = await render(<Inspector state={state} onClear={() => undefined} offline={false} />);
    const log = c.querySelector('[role="log"]');
    expect(log?.getAttribute("aria-live")).toBe("polite");
    const text = log?.textContent ?? "";
    expect(text).toContain("PASS ****");
    expect(text).not.toContain("secret");
    expect(text).toContain("226 Transfer complete.");
    expect(text).toContain("Closing data connection. Requested file action successful.");
    expect(text).toContain("completed (2yz), RFC 959");
    const row = c.querySelector(".transfers tbody tr")?.textContent ?? "";
    expect(row).toContain("↑ upload");
    expect(row).toContain("EPSV");
    expect(row).toContain("3.00 MiB");
    expect(row).toContain("1.00 MiB/s");
  });
});

describe("Playground", () => {
  it("runs a scenario in the page and accepts typed commands", async () => {
    const c = await render(<Playground />);
    const select = c.querySelector("select") as HTMLSelectElement;
    await act(async () => {
      select.value = "resume";
      select.dispatchEvent(new Event("change", { bubbles: true }));
    });
    await click(button(c, "Step: USER demo"));
    expect(c.querySelector('[aria-label="Bytes on the wire"]')?.textContent).toContain(
      "331 Please specify the password.",
    );
    await click(button(c, "Run scenario"));
    const wire = c.querySelector('[aria-label="Bytes on the wire"]')?.textContent ?? "";
    expect(wire).toContain("350 Restart position accepted (13).");
    expect(wire).toContain("NOPQRSTUVWXYZ");
    expect(wire).toContain("221 Goodbye.");
    expect(c.querySelector('[data-testid="client-state"]')?.textContent).toBe("closed");

    await click(button(c, "Reset"));
    await type(field(c, "Command"), "USER demo");
    await click(button(c, "Send"));
    expect(c.querySelector('[data-testid="server-login"]')?.textContent).toBe("no");
    await type(field(c, "Command"), "PASS demo");
    await click(button(c, "Send"));
    expect(c.querySelector('[data-testid="server-login"]')?.textContent).toBe("yes, as demo");
    await type(field(c, "Command"), "XYZZY");
    await click(button(c, "Send"));
    expect(c.querySelector('[role="alert"]')?.textContent).toBe("XYZZY is not an FTP command this core knows.");
  });
});

describe("App", () => {
  it("connects with the preset, shows the files, and goes back to the form when the session ends", async () => {
    const { api, gateway, calls } = fakeApi();
    const c = await render(<App api={gateway} search="" />);
    await settle();
    await type(field(c, "Password"), "wrong");
    await click(button(c, "Connect"));
    expect(c.querySelector('[role="alert"]')?.textContent).toBe("Login failed: wrong password.");
    await type(field(c, "Password"), "");
    await click(button(c, "Connect"));
    expect(calls).toContain("connect 127.0.0.1:2121 dev []");
    expect(c.querySelector('tr[data-name="docs"]')).not.toBeNull();
    expect(c.textContent).toContain("plain FTP");
    await act(async () =>
      api.emit({ type: "status", seq: 9, time: 0, connected: false, message: "Your session expired. Connect again." }),
    );
    await settle();
    expect(c.querySelector('tr[data-name="docs"]')).toBeNull();
    expect(c.querySelector('[role="status"]')?.textContent).toBe("Your session expired. Connect again.");
    expect(field(c, "Host").value).toBe("127.0.0.1");
    // The tabs switch views, by click or arrow keys.
    await click(button(c, "Protocol playground"));
    expect((c.querySelector("#panel-files") as HTMLElement).hidden).toBe(true);
    expect((c.querySelector("#panel-playground") as HTMLElement).hidden).toBe(false);
    const tablist = c.querySelector('[role="tablist"]') as HTMLElement;
    await act(async () => tablist.dispatchEvent(new KeyboardEvent("keydown", { key: "ArrowLeft", bubbles: true })));
    expect((c.querySelector("#panel-files") as HTMLElement).hidden).toBe(false);
    expect(document.activeElement?.id).toBe("tab-files");
    expect(c.querySelector("#tab-playground")?.getAttribute("tabindex")).toBe("-1");
  });
});

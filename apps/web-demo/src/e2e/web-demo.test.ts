/**
 * End to end in a real headless Chromium (Debian's /usr/bin/chromium, driven by
 * playwright-core; see shared/TOOLCHAIN.md pitfall 8): the parts of `ftpkit dev` (the
 * bundled server on a temp root, the gateway, the built page) on free ports.
 *
 * A screenshot of the main view lands in artifacts/web-demo/ (git-ignored, kept by CI).
 * With FTPKIT_DOCS_SCREENSHOT=1 it also writes docs/web-demo.png for the README.
 */
import { createHash, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { build } from "vite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFtpServer, type TestServer } from "../gateway/__tests__/helpers.js";
import { type DemoGateway, startDemoGateway } from "../gateway/server.js";

const CHROMIUM = "/usr/bin/chromium";
const PACKAGE = fileURLToPath(new URL("../../", import.meta.url));
const REPO = fileURLToPath(new URL("../../../../", import.meta.url));
const ARTIFACTS = join(REPO, "artifacts", "web-demo");

let ftp: TestServer;
let gateway: DemoGateway;
let context: BrowserContext;
let page: Page;
const temps: string[] = [];
const pageErrors: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: run scripts/install-system-deps.sh as root (apt-get install chromium)`);
  }
  const staticDir = await mkdtemp(join(tmpdir(), "ftpkit-webdemo-e2e-page-"));
  temps.push(staticDir);
  await build({
    configFile: join(PACKAGE, "vite.config.ts"),
    logLevel: "silent",
    build: { outDir: staticDir, emptyOutDir: true, sourcemap: false },
  });
  ftp = await startFtpServer("dev", randomBytes(9).toString("base64url"));
  await writeFile(join(ftp.root, "welcome.txt"), "Welcome to ftpkit.\n");
  gateway = await startDemoGateway({
    staticDir,
    preset: {
      host: "127.0.0.1",
      port: ftp.port,
      user: ftp.user,
      password: ftp.password,
      label: "the bundled server of ftpkit dev",
    },
  });
  const profile = await mkdtemp(join(tmpdir(), "ftpkit-webdemo-chromium-"));
  temps.push(profile);
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    acceptDownloads: true,
    viewport: { width: 1360, height: 860 },
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(30_000); // a busy 2-core CI machine
  page.on("pageerror", (e) => pageErrors.push(e.message));
  page.on("console", (m) => {
    // The refused login's 401 is logged by the browser as a failed load: expected.
    if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) pageErrors.push(m.text());
  });
}, 180_000);

afterAll(async () => {
  await context?.close();
  await gateway?.close();
  await ftp?.stop();
  await Promise.all(temps.map((d) => rm(d, { recursive: true, force: true })));
});

function sha256(data: Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

describe("the web demo in Chromium", () => {
  it("logs in, makes a folder, uploads, downloads, renames and deletes, and the inspector shows it all", async () => {
    await page.goto(gateway.url);
    await expect.poll(() => page.title()).toBe("ftpkit web demo");

    // The form is filled in for the bundled server; the password stays with the gateway.
    await expect.poll(() => page.getByLabel("Host").inputValue()).toBe("127.0.0.1");
    expect(await page.getByLabel("Port").inputValue()).toBe(String(ftp.port));
    expect(await page.getByLabel("User").inputValue()).toBe("dev");
    expect(await page.getByLabel("Password").inputValue()).toBe("");

    // A wrong password: a plain sentence, and the form stays usable.
    await page.getByLabel("Password").fill("wrong-password");
    await page.getByRole("button", { name: "Connect" }).click();
    await page.getByRole("alert").filter({ hasText: "Login failed" }).waitFor();
    await page.getByLabel("Password").fill("");
    await page.getByRole("button", { name: "Connect" }).click();
    await page.getByRole("button", { name: "welcome.txt", exact: true }).waitFor();

    // New folder, and into it.
    await page.getByRole("button", { name: "+ New folder" }).click();
    const mkdirDialog = page.getByRole("dialog", { name: "New folder" });
    await mkdirDialog.getByLabel("Folder name").fill("reports");
    await mkdirDialog.getByRole("button", { name: "Create" }).click();
    await page.getByRole("button", { name: "reports", exact: true }).click();
    await page.locator('nav[aria-label="Folder path"] [aria-current="page"]').filter({ hasText: "reports" }).waitFor();

    // Upload by the file picker: two files at once, each with a progress bar.
    const data = randomBytes(300 * 1024);
    await page.getByLabel("Upload files").setInputFiles([
      { name: "data.bin", mimeType: "application/octet-stream", buffer: data },
      { name: "notes.txt", mimeType: "text/plain", buffer: Buffer.from("two files at once\n") },
    ]);
    const row = page.locator('tr[data-name="data.bin"]');
    await row.waitFor();
    await expect.poll(() => row.locator("td").nth(1).textContent()).toBe("300 KiB");
    await page.locator('tr[data-name="notes.txt"]').waitFor();
    await page.locator("li.upload.done").nth(1).waitFor();
    expect(await page.locator("li.upload progress").count()).toBe(2);
    expect(sha256(await readFile(join(ftp.root, "reports", "data.bin")))).toBe(sha256(data));

    // The inspector: the upload's STOR and 226, explained, and the transfer with its mode.
    const transcript = page.getByRole("log", { name: "Control connection transcript" });
    await transcript.getByText("STOR /reports/data.bin").waitFor();
    await page.locator(".transfers tr", { hasText: "/reports/data.bin" }).filter({ hasText: "done" }).waitFor();
    const transferRow = await page.locator(".transfers tr", { hasText: "/reports/data.bin" }).textContent();
    expect(transferRow).toContain("upload");
    expect(transferRow).toContain("EPSV");
    expect(transferRow).toContain("300 KiB");
    expect(transferRow).toMatch(/[\d.]+ (B|KiB|MiB|GiB)\/s/);

    await mkdir(ARTIFACTS, { recursive: true });
    // The main view, cut to the page's content.
    const app = page.locator(".app");
    await app.screenshot({ path: join(ARTIFACTS, "main.png") });
    if (process.env["FTPKIT_DOCS_SCREENSHOT"] === "1")
      await app.screenshot({ path: join(REPO, "docs", "web-demo.png") });

    // Download with a click; the bytes are the same.
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("button", { name: "Download data.bin" }).click(),
    ]);
    expect(download.suggestedFilename()).toBe("data.bin");
    expect(sha256(await readFile(await download.path()))).toBe(sha256(data));

    // Rename.
    await page.getByRole("button", { name: "Rename data.bin" }).click();
    const renameDialog = page.getByRole("dialog", { name: "Rename data.bin" });
    await renameDialog.getByLabel("New name").fill("renamed.bin");
    await renameDialog.getByRole("button", { name: "Rename" }).click();
    await page.locator('tr[data-name="renamed.bin"]').waitFor();
    expect(await page.locator('tr[data-name="data.bin"]').count()).toBe(0);

    // Delete, after a confirmation.
    await page.getByRole("button", { name: "Delete renamed.bin" }).click();
    const confirm = page.getByRole("alertdialog", { name: "Delete renamed.bin?" });
    await confirm.getByText("cannot be undone").waitFor();
    await confirm.getByRole("button", { name: "Delete" }).click();
    await page.locator('tr[data-name="renamed.bin"]').waitFor({ state: "detached" });
    expect(existsSync(join(ftp.root, "reports", "renamed.bin"))).toBe(false);

    // Sorting by size puts the bigger file last, then first.
    await page.getByRole("button", { name: "Size" }).click();
    await page.getByRole("columnheader", { name: "Size" }).and(page.locator('[aria-sort="ascending"]')).waitFor();

    // Up to the root again.
    await page.getByRole("button", { name: "↑ Up" }).click();
    await page.getByRole("button", { name: "welcome.txt", exact: true }).waitFor();

    // The whole conversation, each reply explained by @ftpkit/protocol in the page.
    await transcript.getByText("DELE /reports/renamed.bin").waitFor();
    const text = (await transcript.textContent()) ?? "";
    for (const expected of [
      "USER dev",
      "PASS ****",
      "530",
      "230",
      "MKD /reports",
      "257",
      "STOR /reports/data.bin",
      "150",
      "226",
      "Closing data connection. Requested file action successful.",
      "RETR /reports/data.bin",
      "RNFR /reports/data.bin",
      "350",
      "Requested file action pending further information.",
      "RNTO /reports/renamed.bin",
      "250",
      "DELE /reports/renamed.bin",
    ]) {
      expect(text, expected).toContain(expected);
    }
    expect(text).not.toContain(ftp.password);
    expect(text).not.toContain("wrong-password");
    const downloadRow = await page.locator(".transfers tr", { hasText: "download" }).first().textContent();
    expect(downloadRow).toContain("/reports/data.bin");
    expect(downloadRow).toContain("EPSV");

    // The page never held the password: not in its HTML, not in its storage.
    const html = await page.content();
    expect(html).not.toContain(ftp.password);
    expect(pageErrors).toEqual([]);
  });

  it("runs a playground scenario in the page with no server", async () => {
    await page.getByRole("tab", { name: "Protocol playground" }).click();
    await page.getByLabel("Scenario").selectOption("abort");
    await page.getByRole("button", { name: "Run scenario" }).click();
    const wire = page.getByRole("list", { name: "Bytes on the wire" });
    await wire.getByText("226 ABOR successful.").waitFor();
    const text = (await wire.textContent()) ?? "";
    expect(text).toContain("RETR pub/alphabet.txt");
    expect(text).toContain("150 Opening BINARY mode data connection");
    expect(text).toContain("426 Connection closed; transfer aborted.");
    expect(await page.getByTestId("client-state").textContent()).toBe("ready");
    expect(await page.getByTestId("server-login").textContent()).toBe("yes, as demo");

    // A command typed by hand, then the bytes of it.
    await page.getByLabel("Command").fill("PWD");
    await page.getByRole("button", { name: "Send" }).click();
    await wire.getByText('257 "/" is the current directory.').waitFor();
    await page.getByLabel("Show bytes").check();
    await wire.getByText("50 57 44 0d 0a").waitFor();
    // An unknown command is explained, and the playground goes on.
    await page.getByLabel("Command").fill("FOO bar");
    await page.getByRole("button", { name: "Send" }).click();
    await page.getByRole("alert").filter({ hasText: "FOO is not an FTP command" }).waitFor();
    await mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, "playground.png"), fullPage: true });
    expect(pageErrors).toEqual([]);
  });
});

/** Formatting and path helpers for the page (pure: unit-tested without a DOM). */

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB"];

/** `0 B`, `512 B`, `1.5 KiB`, `12 MiB`; an em dash when unknown. */
export function formatSize(bytes: number | undefined): string {
  if (bytes === undefined || !Number.isFinite(bytes) || bytes < 0) return "—";
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  if (unit === 0) return `${bytes} B`;
  return `${value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2)} ${UNITS[unit]}`;
}

/** Bytes per second as `1.2 MiB/s`. */
export function formatRate(bytesPerSecond: number): string {
  if (!Number.isFinite(bytesPerSecond) || bytesPerSecond <= 0) return "—";
  return `${formatSize(Math.round(bytesPerSecond))}/s`;
}

/** `2024-01-31 14:15` in UTC (FTP servers report UTC), or an em dash. */
export function formatDate(iso: string | undefined): string {
  if (iso === undefined) return "—";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "—";
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
}

/** A clock time `14:15:09.123` for the inspector. */
export function formatTime(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number, w = 2) => String(n).padStart(w, "0");
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/** Normalizes an absolute remote path (`/a//b/../c/` → `/a/c`). */
export function normalizePath(path: string): string {
  const parts: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") parts.pop();
    else parts.push(part);
  }
  return `/${parts.join("/")}`;
}

export function parentPath(path: string): string {
  return normalizePath(`${path}/..`);
}

export function joinPath(dir: string, name: string): string {
  return normalizePath(`${dir}/${name}`);
}

/** Breadcrumbs of an absolute path: `/` then each folder with its full path. */
export function breadcrumbs(path: string): { name: string; path: string }[] {
  const crumbs = [{ name: "/", path: "/" }];
  let current = "";
  for (const part of normalizePath(path).split("/").filter(Boolean)) {
    current += `/${part}`;
    crumbs.push({ name: part, path: current });
  }
  return crumbs;
}

/** A name the user typed for a new file or folder: one path segment. Returns an error sentence or undefined. */
export function checkName(name: string): string | undefined {
  if (name.trim() === "") return "Enter a name.";
  if (name === "." || name === "..") return "That name is reserved.";
  if (name.includes("/")) return "A name cannot contain “/”.";
  if (/[\r\n\0]/.test(name)) return "A name cannot contain line breaks.";
  if (name.length > 255) return "That name is too long.";
  return undefined;
}

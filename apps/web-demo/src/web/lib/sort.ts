import type { Entry } from "../../shared/api.js";

export type SortKey = "name" | "size" | "modified";
export interface SortOrder {
  readonly key: SortKey;
  readonly descending: boolean;
}

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });

/** Folders first, then by the key; ties by name. Does not change the input. */
export function sortEntries(entries: readonly Entry[], order: SortOrder): Entry[] {
  const sign = order.descending ? -1 : 1;
  const byKey = (a: Entry, b: Entry): number => {
    if (order.key === "size") return (a.size ?? -1) - (b.size ?? -1);
    if (order.key === "modified")
      return (a.modified ? Date.parse(a.modified) : 0) - (b.modified ? Date.parse(b.modified) : 0);
    return collator.compare(a.name, b.name);
  };
  return [...entries].sort((a, b) => {
    const folders = Number(b.type === "directory") - Number(a.type === "directory");
    if (folders !== 0) return folders;
    return sign * byKey(a, b) || collator.compare(a.name, b.name);
  });
}

/** Clicking a column: the same key flips the direction; a new key starts ascending. */
export function nextOrder(current: SortOrder, key: SortKey): SortOrder {
  return current.key === key ? { key, descending: !current.descending } : { key, descending: false };
}

import { type DragEvent, useCallback, useEffect, useId, useMemo, useRef, useState } from "react";
import type { Entry } from "../../shared/api.js";
import { ApiFailure, type GatewayApi } from "../api.js";
import { breadcrumbs, checkName, formatDate, formatSize, joinPath, parentPath } from "../lib/format.js";
import { nextOrder, type SortKey, type SortOrder, sortEntries } from "../lib/sort.js";
import { Dialog } from "./Dialog.js";
import { FileIcon, FolderIcon, LinkIcon } from "./Icons.js";

export interface UploadItem {
  readonly id: number;
  readonly name: string;
  readonly size: number;
  readonly sent: number;
  readonly state: "queued" | "sending" | "done" | "failed";
  readonly error?: string;
}

type DialogState =
  | { readonly kind: "mkdir" }
  | { readonly kind: "rename"; readonly entry: Entry }
  | { readonly kind: "delete"; readonly entry: Entry };

export interface FileBrowserProps {
  readonly api: GatewayApi;
  readonly server: string;
  readonly user: string;
  readonly secure: boolean;
  readonly initialPath: string;
  readonly onDisconnect: () => void;
  /** The session is gone (expired): back to the connect form. */
  readonly onSessionLost: (message: string) => void;
}

const COLUMNS: readonly { key: SortKey; label: string }[] = [
  { key: "name", label: "Name" },
  { key: "size", label: "Size" },
  { key: "modified", label: "Modified" },
];

export function FileBrowser({ api, server, user, secure, initialPath, onDisconnect, onSessionLost }: FileBrowserProps) {
  const [path, setPath] = useState(initialPath);
  const [entries, setEntries] = useState<readonly Entry[]>([]);
  const [loading, setLoading] = useState(false);
  const [order, setOrder] = useState<SortOrder>({ key: "name", descending: false });
  const [message, setMessage] = useState<{ text: string; error: boolean }>();
  const [dialog, setDialog] = useState<DialogState>();
  const [dialogName, setDialogName] = useState("");
  const [dialogError, setDialogError] = useState<string>();
  const [uploads, setUploads] = useState<readonly UploadItem[]>([]);
  const [dragging, setDragging] = useState(false);
  const queue = useRef<{ id: number; file: File; dir: string }[]>([]);
  const uploading = useRef(false);
  const nextId = useRef(0);
  const pathRef = useRef(path);
  pathRef.current = path;
  const id = useId();

  const fail = useCallback(
    (error: unknown) => {
      const text = error instanceof Error ? error.message : String(error);
      if (error instanceof ApiFailure && (error.kind === "no-session" || error.kind === "not-connected")) {
        onSessionLost(text);
        return;
      }
      setMessage({ text, error: true });
    },
    [onSessionLost],
  );

  const load = useCallback(
    async (target: string) => {
      setLoading(true);
      try {
        const list = await api.list(target);
        setEntries(list.entries);
        setPath(list.path);
        setMessage((m) => (m?.error ? undefined : m));
      } catch (error) {
        fail(error);
      } finally {
        setLoading(false);
      }
    },
    [api, fail],
  );

  useEffect(() => {
    void load(initialPath);
  }, [load, initialPath]);

  const sorted = useMemo(() => sortEntries(entries, order), [entries, order]);

  // ---- uploads: one at a time (the gateway holds one FTP connection per session) ----

  const pump = useCallback(async () => {
    if (uploading.current) return;
    uploading.current = true;
    try {
      for (let job = queue.current.shift(); job !== undefined; job = queue.current.shift()) {
        const { id: jobId, file, dir } = job;
        const update = (patch: Partial<UploadItem>) =>
          setUploads((list) => list.map((u) => (u.id === jobId ? { ...u, ...patch } : u)));
        update({ state: "sending" });
        try {
          await api.upload(file, joinPath(dir, file.name), (sent) => update({ sent })).done;
          update({ state: "done", sent: file.size });
        } catch (error) {
          update({ state: "failed", error: error instanceof Error ? error.message : String(error) });
          if (error instanceof ApiFailure && error.kind === "no-session") {
            onSessionLost(error.message);
            return;
          }
        }
        if (dir === pathRef.current) void load(dir);
      }
    } finally {
      uploading.current = false;
    }
  }, [api, load, onSessionLost]);

  const enqueue = (files: FileList | readonly File[] | null) => {
    if (files === null || files.length === 0) return;
    const added: UploadItem[] = [];
    for (const file of Array.from(files)) {
      const problem = checkName(file.name);
      const itemId = ++nextId.current;
      if (problem !== undefined) {
        added.push({ id: itemId, name: file.name, size: file.size, sent: 0, state: "failed", error: problem });
        continue;
      }
      added.push({ id: itemId, name: file.name, size: file.size, sent: 0, state: "queued" });
      queue.current.push({ id: itemId, file, dir: path });
    }
    setUploads((list) => [...list.filter((u) => u.state === "queued" || u.state === "sending"), ...added]);
    void pump();
  };

  // ---- actions ----

  const download = async (entry: Entry) => {
    try {
      const ticket = await api.downloadTicket(joinPath(path, entry.name));
      // A same-origin link with `download`: the browser streams it to disk itself.
      const a = document.createElement("a");
      a.href = ticket.url;
      a.download = entry.name;
      a.rel = "noopener";
      document.body.append(a);
      a.click();
      a.remove();
    } catch (error) {
      fail(error);
    }
  };

  const openDialog = (state: DialogState) => {
    setDialog(state);
    setDialogError(undefined);
    setDialogName(state.kind === "rename" ? state.entry.name : "");
  };

  const submitDialog = async () => {
    if (dialog === undefined) return;
    try {
      if (dialog.kind === "delete") {
        await api.remove(joinPath(path, dialog.entry.name), dialog.entry.type === "directory");
        setMessage({ text: `Deleted ${dialog.entry.name}.`, error: false });
      } else {
        const problem = checkName(dialogName);
        if (problem !== undefined) {
          setDialogError(problem);
          return;
        }
        if (dialog.kind === "mkdir") {
          await api.mkdir(joinPath(path, dialogName));
          setMessage({ text: `Created the folder ${dialogName}.`, error: false });
        } else {
          await api.rename(joinPath(path, dialog.entry.name), joinPath(path, dialogName));
          setMessage({ text: `Renamed ${dialog.entry.name} to ${dialogName}.`, error: false });
        }
      }
      setDialog(undefined);
      void load(path);
    } catch (error) {
      if (error instanceof ApiFailure && error.kind === "no-session") {
        setDialog(undefined);
        onSessionLost(error.message);
        return;
      }
      setDialogError(error instanceof Error ? error.message : String(error));
    }
  };

  // ---- drag and drop ----

  const onDragOver = (e: DragEvent) => {
    if (!e.dataTransfer.types.includes("Files")) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = "copy";
    setDragging(true);
  };
  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setDragging(false);
    enqueue(e.dataTransfer.files);
  };

  return (
    <section
      className={`card browser${dragging ? " dragging" : ""}`}
      aria-labelledby={`${id}-title`}
      onDragOver={onDragOver}
      onDragLeave={(e) => {
        if (!e.currentTarget.contains(e.relatedTarget as Node | null)) setDragging(false);
      }}
      onDrop={onDrop}
    >
      <div className="browser-head">
        <h2 id={`${id}-title`}>
          Files{" "}
          <span className="muted">
            on {server} as {user}
          </span>{" "}
          <span
            className={`badge ${secure ? "completion" : "plain"}`}
            title={secure ? "AUTH TLS, PROT P" : "not encrypted"}
          >
            {secure ? "TLS" : "plain FTP"}
          </span>
        </h2>
        <button type="button" onClick={onDisconnect}>
          Disconnect
        </button>
      </div>
      <nav aria-label="Folder path" className="crumbs">
        <ol>
          {breadcrumbs(path).map((c, i, all) => (
            <li key={c.path}>
              {i === all.length - 1 ? (
                <span aria-current="page">{c.name}</span>
              ) : (
                <button type="button" className="link" onClick={() => void load(c.path)}>
                  {c.name}
                </button>
              )}
            </li>
          ))}
        </ol>
      </nav>
      <div className="toolbar" role="toolbar" aria-label="Folder actions">
        <button type="button" onClick={() => void load(parentPath(path))} disabled={path === "/"}>
          ↑ Up
        </button>
        <button type="button" onClick={() => void load(path)} disabled={loading}>
          ⟳ Refresh
        </button>
        <button type="button" onClick={() => openDialog({ kind: "mkdir" })}>
          + New folder
        </button>
        <label className="button">
          ⤒ Upload files
          <input
            type="file"
            multiple
            className="visually-hidden"
            aria-label="Upload files"
            onChange={(e) => {
              enqueue(e.target.files);
              e.target.value = "";
            }}
          />
        </label>
        <span className="hint">or drop files here</span>
      </div>
      {message && (
        <p className={message.error ? "error" : "notice"} role={message.error ? "alert" : "status"}>
          {message.text}{" "}
          <button type="button" className="link" onClick={() => setMessage(undefined)} aria-label="Dismiss message">
            ✕
          </button>
        </p>
      )}
      <div className="table-wrap">
        <table className="files" aria-busy={loading}>
          <caption className="visually-hidden">Contents of {path}</caption>
          <thead>
            <tr>
              {COLUMNS.map((c) => (
                <th
                  key={c.key}
                  scope="col"
                  aria-sort={order.key === c.key ? (order.descending ? "descending" : "ascending") : "none"}
                  className={c.key === "size" ? "num" : undefined}
                >
                  <button type="button" className="sort" onClick={() => setOrder((o) => nextOrder(o, c.key))}>
                    {c.label}
                    <span aria-hidden="true">{order.key === c.key ? (order.descending ? " ▼" : " ▲") : ""}</span>
                  </button>
                </th>
              ))}
              <th scope="col">Permissions</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {sorted.length === 0 && (
              <tr>
                <td colSpan={5} className="empty">
                  {loading ? "Loading…" : "This folder is empty. Drop files here or use Upload files."}
                </td>
              </tr>
            )}
            {sorted.map((entry) => (
              <tr key={entry.name} data-name={entry.name}>
                <td>
                  {entry.type === "directory" ? (
                    <button type="button" className="link name" onClick={() => void load(joinPath(path, entry.name))}>
                      <FolderIcon />
                      {entry.name}
                    </button>
                  ) : (
                    <button
                      type="button"
                      className="link name"
                      title={`Download ${entry.name}`}
                      onClick={() => void download(entry)}
                    >
                      {entry.type === "symlink" ? <LinkIcon /> : <FileIcon />}
                      {entry.name}
                    </button>
                  )}
                </td>
                <td className="num">{entry.type === "directory" ? "—" : formatSize(entry.size)}</td>
                <td>{formatDate(entry.modified)}</td>
                <td>
                  <code>{entry.permissions ?? "—"}</code>
                </td>
                <td className="actions">
                  {entry.type !== "directory" && (
                    <button type="button" onClick={() => void download(entry)} aria-label={`Download ${entry.name}`}>
                      Download
                    </button>
                  )}
                  <button
                    type="button"
                    onClick={() => openDialog({ kind: "rename", entry })}
                    aria-label={`Rename ${entry.name}`}
                  >
                    Rename
                  </button>
                  <button
                    type="button"
                    className="danger"
                    onClick={() => openDialog({ kind: "delete", entry })}
                    aria-label={`Delete ${entry.name}`}
                  >
                    Delete
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {uploads.length > 0 && (
        <section className="uploads" aria-label="Uploads">
          <h3>Uploads</h3>
          <ul>
            {uploads.map((u) => (
              <li key={u.id} className={`upload ${u.state}`}>
                <span className="upload-name">{u.name}</span>
                <progress
                  max={Math.max(u.size, 1)}
                  value={u.state === "done" ? Math.max(u.size, 1) : u.sent}
                  aria-label={`Upload of ${u.name}`}
                />
                <span className="upload-state">
                  {u.state === "queued" && "waiting"}
                  {u.state === "sending" && `${formatSize(u.sent)} of ${formatSize(u.size)}`}
                  {u.state === "done" && `done, ${formatSize(u.size)}`}
                  {u.state === "failed" && <span className="error-text">{u.error}</span>}
                </span>
              </li>
            ))}
          </ul>
        </section>
      )}
      {dragging && (
        <div className="drop-hint" aria-hidden="true">
          Drop to upload to {path}
        </div>
      )}
      {dialog && (
        <Dialog
          title={
            dialog.kind === "mkdir"
              ? "New folder"
              : dialog.kind === "rename"
                ? `Rename ${dialog.entry.name}`
                : `Delete ${dialog.entry.name}?`
          }
          role={dialog.kind === "delete" ? "alertdialog" : "dialog"}
          onCancel={() => setDialog(undefined)}
          onSubmit={() => void submitDialog()}
          actions={
            <>
              <button type="button" onClick={() => setDialog(undefined)}>
                Cancel
              </button>
              <button type="submit" className={dialog.kind === "delete" ? "danger primary" : "primary"}>
                {dialog.kind === "mkdir" ? "Create" : dialog.kind === "rename" ? "Rename" : "Delete"}
              </button>
            </>
          }
        >
          {dialog.kind === "delete" ? (
            <p>
              {dialog.entry.type === "directory"
                ? `The folder ${dialog.entry.name} and everything in it will be deleted from the server.`
                : `${dialog.entry.name} will be deleted from the server.`}{" "}
              This cannot be undone.
            </p>
          ) : (
            <label className="stack">
              {dialog.kind === "mkdir" ? "Folder name" : "New name"}
              <input value={dialogName} onChange={(e) => setDialogName(e.target.value)} spellCheck={false} />
            </label>
          )}
          {dialogError && (
            <p className="error" role="alert">
              {dialogError}
            </p>
          )}
        </Dialog>
      )}
    </section>
  );
}

import { useEffect, useId, useRef, useState } from "react";
import { formatRate, formatSize, formatTime } from "../lib/format.js";
import { CLASS_WORDS, type InspectorState } from "../lib/inspector.js";

export interface InspectorProps {
  readonly state: InspectorState;
  readonly onClear: () => void;
  /** The event stream is reconnecting. */
  readonly offline: boolean;
}

/** The control connection as it happens, each reply explained by @ftpkit/protocol in this page. */
export function Inspector({ state, onClear, offline }: InspectorProps) {
  const id = useId();
  const log = useRef<HTMLOListElement>(null);
  const [follow, setFollow] = useState(true);
  const rowCount = state.rows.length;
  // biome-ignore lint/correctness/useExhaustiveDependencies: scroll when rows arrive
  useEffect(() => {
    if (follow && log.current) log.current.scrollTop = log.current.scrollHeight;
  }, [rowCount, follow]);

  return (
    <section className="card inspector" aria-labelledby={`${id}-title`}>
      <div className="browser-head">
        <h2 id={`${id}-title`}>Protocol inspector</h2>
        <div className="row">
          <label className="inline">
            <input type="checkbox" checked={follow} onChange={(e) => setFollow(e.target.checked)} /> Follow
          </label>
          <button type="button" onClick={onClear}>
            Clear
          </button>
        </div>
      </div>
      {offline && (
        <p className="notice" role="status">
          Reconnecting to the gateway's event stream…
        </p>
      )}
      <ol className="transcript" ref={log} role="log" aria-live="polite" aria-label="Control connection transcript">
        {state.rows.length === 0 && <li className="muted">Commands and replies appear here as they happen.</li>}
        {state.rows.map((row) =>
          row.kind === "command" ? (
            <li key={row.key} className="cmd">
              <time>{formatTime(row.time)}</time>
              <span className="dir">
                <span aria-hidden="true">→</span>
                <span className="visually-hidden">client sent</span>
              </span>
              <code>{row.text}</code>
            </li>
          ) : row.kind === "reply" ? (
            <li key={row.key} className={`reply ${row.replyClass}`}>
              <time>{formatTime(row.time)}</time>
              <span className="dir">
                <span aria-hidden="true">←</span>
                <span className="visually-hidden">server replied</span>
              </span>
              <div>
                <code>{`${row.code} ${row.text}`}</code>
                <div className="explain">
                  <span className={`badge ${row.replyClass}`}>{row.code}</span> {row.meaning}{" "}
                  <span className="muted">
                    {CLASS_WORDS[row.replyClass]}, RFC {row.rfc}
                    {row.known ? "" : " (not in the table)"}
                  </span>
                </div>
              </div>
            </li>
          ) : (
            <li key={row.key} className="status">
              <time>{formatTime(row.time)}</time>
              <span className="dir" aria-hidden="true">
                •
              </span>
              <span>{row.text}</span>
            </li>
          ),
        )}
      </ol>
      <h3>Transfers</h3>
      {state.transfers.length === 0 ? (
        <p className="muted">Uploads and downloads appear here with their data-connection mode and rate.</p>
      ) : (
        <table className="transfers">
          <thead>
            <tr>
              <th scope="col">Direction</th>
              <th scope="col">File</th>
              <th scope="col">Mode</th>
              <th scope="col" className="num">
                Size
              </th>
              <th scope="col" className="num">
                Rate
              </th>
              <th scope="col">State</th>
            </tr>
          </thead>
          <tbody>
            {[...state.transfers].reverse().map((t) => (
              <tr key={t.id} className={t.state}>
                <td>{t.direction === "upload" ? "↑ upload" : "↓ download"}</td>
                <td>
                  <code>{t.path}</code>
                </td>
                <td>{t.mode ?? "—"}</td>
                <td className="num">
                  {t.state === "running" && t.total !== undefined
                    ? `${formatSize(t.bytes)} / ${formatSize(t.total)}`
                    : formatSize(t.bytes)}
                </td>
                <td className="num">{formatRate(t.rate)}</td>
                <td>{t.state === "failed" ? <span className="error-text">{t.error ?? "failed"}</span> : t.state}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

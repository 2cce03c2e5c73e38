import { useId, useRef, useState } from "react";
import {
  DEMO_FILES,
  DEMO_PASSWORD,
  DEMO_USER,
  Playground as Engine,
  hexBytes,
  SCENARIOS,
  type ScenarioId,
  type WireEntry,
  wireText,
} from "../../playground.js";
import { explainReply } from "../lib/inspector.js";

interface Run {
  engine: Engine;
  /** Scenario steps not run yet. */
  pending: string[];
  scenario: ScenarioId | undefined;
}

function fresh(scenario: ScenarioId | undefined, hold: boolean): Run {
  const s = SCENARIOS.find((x) => x.id === scenario);
  return {
    engine: new Engine({ holdTransfers: s?.holdTransfers ?? hold }),
    pending: s ? [...s.steps] : [],
    scenario,
  };
}

function WireLine({ entry, showBytes }: { entry: WireEntry; showBytes: boolean }) {
  const text = wireText(entry);
  const code = entry.from === "server" && entry.channel === "control" ? Number(text.slice(0, 3)) : Number.NaN;
  const info = Number.isInteger(code) && code >= 100 && code < 700 ? explainReply(code) : undefined;
  return (
    <li className={`wire ${entry.from} ${entry.channel}`}>
      <span className="who">
        {entry.from === "client" ? "client →" : "← server"}
        {entry.channel === "data" ? " (data)" : ""}
      </span>
      <div>
        <code>{text}</code>
        {info && <div className="explain">{info.meaning}</div>}
        {showBytes && <code className="hex">{hexBytes(entry.bytes)}</code>}
      </div>
    </li>
  );
}

/** The protocol core's two session machines, running in this page with no server anywhere. */
export function Playground() {
  const id = useId();
  const [hold, setHold] = useState(false);
  const run = useRef<Run>(fresh(undefined, false));
  const [, setVersion] = useState(0);
  const [scenario, setScenario] = useState<ScenarioId>("login");
  const [line, setLine] = useState("");
  const [error, setError] = useState<string>();
  const [showBytes, setShowBytes] = useState(false);
  const refresh = () => setVersion((v) => v + 1);

  const reset = (next: ScenarioId | undefined, holdTransfers = hold) => {
    run.current = fresh(next, holdTransfers);
    setError(undefined);
    refresh();
  };

  const step = (): boolean => {
    const next = run.current.pending.shift();
    if (next === undefined) return false;
    const result = run.current.engine.run(next);
    if (!result.ok) {
      setError(`${next}: ${result.error}`);
      run.current.pending = [];
    }
    refresh();
    return result.ok;
  };

  const runAll = () => {
    if (run.current.scenario !== scenario || run.current.pending.length === 0) run.current = fresh(scenario, hold);
    setError(undefined);
    while (run.current.pending.length > 0 && step()) {
      // every step of the scenario
    }
    refresh();
  };

  const send = () => {
    const result = run.current.engine.run(line);
    if (result.ok) {
      setError(undefined);
      setLine("");
    } else setError(result.error);
    refresh();
  };

  const snap = run.current.engine.snapshot();
  const current = SCENARIOS.find((s) => s.id === scenario);
  const upcoming = run.current.scenario === scenario ? run.current.pending : (current?.steps ?? []);

  return (
    <section className="card playground" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Protocol playground</h2>
      <p className="hint">
        A client session and a server session of <code>@ftpkit/protocol</code>, wired to each other in memory in this
        page: no server, no network. Log in as <code>{DEMO_USER}</code> / <code>{DEMO_PASSWORD}</code>; the server holds{" "}
        {Object.keys(DEMO_FILES)
          .filter((f) => !f.endsWith("/"))
          .map((f, i) => (
            <span key={f}>
              {i > 0 && ", "}
              <code>{f}</code>
            </span>
          ))}
        .
      </p>
      <div className="row wrap">
        <label className="inline" htmlFor={`${id}-scenario`}>
          Scenario
        </label>
        <select
          id={`${id}-scenario`}
          value={scenario}
          onChange={(e) => {
            const next = e.target.value as ScenarioId;
            setScenario(next);
            reset(next);
          }}
        >
          {SCENARIOS.map((s) => (
            <option key={s.id} value={s.id}>
              {s.title}
            </option>
          ))}
        </select>
        <button type="button" className="primary" onClick={runAll}>
          Run scenario
        </button>
        <button
          type="button"
          onClick={() => {
            if (run.current.scenario !== scenario) run.current = fresh(scenario, hold);
            setError(undefined);
            step();
          }}
          disabled={run.current.scenario === scenario && run.current.pending.length === 0}
        >
          Step{upcoming[0] ? `: ${upcoming[0]}` : ""}
        </button>
        <button type="button" onClick={() => reset(undefined)}>
          Reset
        </button>
      </div>
      {current && <p className="hint">{current.description}</p>}
      <form
        className="row wrap"
        onSubmit={(e) => {
          e.preventDefault();
          send();
        }}
      >
        <label className="inline" htmlFor={`${id}-command`}>
          Command
        </label>
        <input
          id={`${id}-command`}
          className="command"
          value={line}
          onChange={(e) => setLine(e.target.value)}
          placeholder="USER demo"
          spellCheck={false}
          autoComplete="off"
        />
        <button type="submit">Send</button>
        <label className="inline">
          <input
            type="checkbox"
            checked={hold}
            onChange={(e) => {
              setHold(e.target.checked);
              reset(undefined, e.target.checked);
            }}
          />{" "}
          Hold transfers open (to try ABOR; resets)
        </label>
        {snap.held && (
          <button
            type="button"
            onClick={() => {
              const r = run.current.engine.finishTransfer();
              setError(r.ok ? undefined : r.error);
              refresh();
            }}
          >
            Finish transfer
          </button>
        )}
      </form>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <div className="sides">
        <section className="side" aria-label="Client session">
          <h3>Client session</h3>
          <dl>
            <dt>state</dt>
            <dd data-testid="client-state">{snap.client.state}</dd>
            <dt>logged in</dt>
            <dd>{snap.client.loggedIn ? "yes" : "no"}</dd>
            <dt>idle</dt>
            <dd>{snap.client.idle ? "yes" : "no"}</dd>
            <dt>transfer</dt>
            <dd>{snap.client.transfer ?? "none"}</dd>
          </dl>
          <ol className="events" aria-label="Client events">
            {snap.clientEvents.map((e, i) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: an append-only log
              <li key={i}>{e}</li>
            ))}
          </ol>
        </section>
        <section className="side" aria-label="Server session">
          <h3>Server session</h3>
          <dl>
            <dt>logged in</dt>
            <dd data-testid="server-login">{snap.server.loggedIn ? `yes, as ${snap.server.user}` : "no"}</dd>
            <dt>directory</dt>
            <dd>{snap.server.cwd}</dd>
            <dt>transferring</dt>
            <dd>{snap.server.transferring ? "yes" : "no"}</dd>
            <dt>closed</dt>
            <dd>{snap.server.closed ? "yes" : "no"}</dd>
          </dl>
          <ol className="events" aria-label="Server events">
            {snap.serverEvents.map((e, i) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: an append-only log
              <li key={i}>{e}</li>
            ))}
          </ol>
        </section>
      </div>
      <div className="browser-head">
        <h3>On the wire</h3>
        <label className="inline">
          <input type="checkbox" checked={showBytes} onChange={(e) => setShowBytes(e.target.checked)} /> Show bytes
        </label>
      </div>
      <ol className="wire-log" aria-label="Bytes on the wire">
        {snap.wire.map((w) => (
          <WireLine key={w.seq} entry={w} showBytes={showBytes} />
        ))}
      </ol>
    </section>
  );
}

import { type FormEvent, useId, useState } from "react";
import type { ConnectRequest, PresetInfo } from "../../shared/api.js";

export interface ConnectFormValues {
  readonly host: string;
  readonly port: string;
  readonly user: string;
  readonly password: string;
  readonly secure: boolean;
}

/** The form's first values: the query string (`?host=&port=&user=&tls=1`) over the gateway's preset. */
export function initialValues(preset: PresetInfo | undefined, search: string): ConnectFormValues {
  const q = new URLSearchParams(search);
  return {
    host: q.get("host") ?? preset?.host ?? "127.0.0.1",
    port: q.get("port") ?? String(preset?.port ?? 21),
    user: q.get("user") ?? preset?.user ?? "anonymous",
    password: "",
    secure: q.has("tls") ? q.get("tls") === "1" : (preset?.secure ?? false),
  };
}

/** Checks the form; returns the request or a sentence saying what to fix. */
export function toRequest(values: ConnectFormValues): ConnectRequest | string {
  const host = values.host.trim();
  if (host === "") return "Enter the server's host name or address.";
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) return "The port is a number from 1 to 65535.";
  if (values.user === "") return "Enter a user name (anonymous for public servers).";
  return { host, port, user: values.user, password: values.password, secure: values.secure };
}

export interface ConnectFormProps {
  readonly preset: PresetInfo | undefined;
  readonly allowed: readonly string[];
  readonly initial: ConnectFormValues;
  readonly onConnect: (request: ConnectRequest) => Promise<void>;
}

export function ConnectForm({ preset, allowed, initial, onConnect }: ConnectFormProps) {
  const [values, setValues] = useState(initial);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const id = useId();
  const set = (patch: Partial<ConnectFormValues>) => setValues((v) => ({ ...v, ...patch }));
  const presetMatches =
    preset?.passwordKnown === true &&
    values.host.trim() === preset.host &&
    values.port === String(preset.port) &&
    values.user === preset.user;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const request = toRequest(values);
    if (typeof request === "string") {
      setError(request);
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      await onConnect(request);
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure));
      setBusy(false);
    }
  };

  return (
    <form className="card connect" onSubmit={submit} aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Connect to an FTP server</h2>
      {preset && (
        <p className="hint">
          Filled in for {preset.label}
          {preset.passwordKnown ? "; leave the password empty to use the one the gateway was given." : "."}
        </p>
      )}
      <div className="grid-form">
        <label htmlFor={`${id}-host`}>Host</label>
        <input
          id={`${id}-host`}
          name="host"
          value={values.host}
          onChange={(e) => set({ host: e.target.value })}
          autoComplete="off"
          spellCheck={false}
          required
        />
        <label htmlFor={`${id}-port`}>Port</label>
        <input
          id={`${id}-port`}
          name="port"
          inputMode="numeric"
          value={values.port}
          onChange={(e) => set({ port: e.target.value })}
          required
        />
        <label htmlFor={`${id}-user`}>User</label>
        <input
          id={`${id}-user`}
          name="user"
          value={values.user}
          onChange={(e) => set({ user: e.target.value })}
          autoComplete="username"
          spellCheck={false}
          required
        />
        <label htmlFor={`${id}-password`}>Password</label>
        <input
          id={`${id}-password`}
          name="password"
          type="password"
          value={values.password}
          onChange={(e) => set({ password: e.target.value })}
          autoComplete="current-password"
          placeholder={presetMatches ? "known to the gateway" : ""}
        />
      </div>
      <fieldset className="security">
        <legend>Security</legend>
        <label>
          <input type="radio" name="security" checked={!values.secure} onChange={() => set({ secure: false })} /> Plain
          FTP
        </label>
        <label>
          <input type="radio" name="security" checked={values.secure} onChange={() => set({ secure: true })} /> Explicit
          TLS (AUTH TLS)
        </label>
      </fieldset>
      <div className="row">
        <button type="submit" className="primary" disabled={busy}>
          {busy ? "Connecting…" : "Connect"}
        </button>
        <span className="hint">
          {allowed.length > 0
            ? `This gateway may connect to ${allowed.join(", ")}.`
            : "This gateway may not connect anywhere."}
        </span>
      </div>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}

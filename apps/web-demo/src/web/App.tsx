import { useCallback, useEffect, useReducer, useState } from "react";
import type { ConnectRequest, SessionInfo } from "../shared/api.js";
import type { GatewayApi } from "./api.js";
import { ConnectForm, initialValues } from "./components/ConnectForm.js";
import { FileBrowser } from "./components/FileBrowser.js";
import { Inspector } from "./components/Inspector.js";
import { Playground } from "./components/Playground.js";
import { EMPTY_INSPECTOR, inspectorReducer } from "./lib/inspector.js";

type Tab = "files" | "playground";

interface Connection {
  readonly server: string;
  readonly user: string;
  readonly cwd: string;
  readonly secure: boolean;
  /** Bumped on every connect, so the browser starts over. */
  readonly generation: number;
}

export interface AppProps {
  readonly api: GatewayApi;
  /** `location.search`, for the connect form's prefill. */
  readonly search?: string;
}

export function App({ api, search = "" }: AppProps) {
  const [tab, setTab] = useState<Tab>(new URLSearchParams(search).get("tab") === "playground" ? "playground" : "files");
  const [session, setSession] = useState<SessionInfo>();
  const [sessionError, setSessionError] = useState<string>();
  const [connection, setConnection] = useState<Connection>();
  const [notice, setNotice] = useState<string>();
  const [inspector, dispatch] = useReducer(inspectorReducer, EMPTY_INSPECTOR);
  const [stream, setStream] = useState<"open" | "retrying" | "closed">("open");

  const openSession = useCallback(async () => {
    try {
      const info = await api.session();
      setSession(info);
      setSessionError(undefined);
      setConnection((c) =>
        info.connected && info.server && info.user
          ? {
              server: info.server,
              user: info.user,
              cwd: info.cwd ?? "/",
              secure: info.secure ?? false,
              generation: (c?.generation ?? 0) + 1,
            }
          : undefined,
      );
    } catch (error) {
      setSessionError(error instanceof Error ? error.message : String(error));
    }
  }, [api]);

  useEffect(() => {
    void openSession();
  }, [openSession]);

  // The session's event stream (one per token: a new session opens a new stream).
  const token = session?.token;
  const openedAt = session?.seq ?? 0;
  useEffect(() => {
    if (token === undefined) return;
    dispatch({ type: "session", session: token });
    return api.events(
      (event) => {
        dispatch(event);
        // Replayed events (up to the session's seq when it was opened) describe the past.
        if (event.type === "status" && !event.connected && event.message && event.seq > openedAt) {
          setConnection(undefined);
          setNotice(event.message);
        }
      },
      (state) => {
        setStream(state);
        // The gateway refused the stream: the session expired. Start a new one.
        if (state === "closed") void openSession();
      },
    );
  }, [api, token, openedAt, openSession]);

  const connect = async (request: ConnectRequest) => {
    const result = await api.connect(request);
    setNotice(undefined);
    setConnection((c) => ({ ...result, generation: (c?.generation ?? 0) + 1 }));
  };

  const disconnect = async () => {
    try {
      await api.disconnect();
    } catch {
      // gone already
    }
    setConnection(undefined);
  };

  const sessionLost = useCallback(
    (message: string) => {
      setConnection(undefined);
      setNotice(message);
      void openSession();
    },
    [openSession],
  );

  return (
    <div className="app">
      <header className="top">
        <h1>
          ftpkit <span className="muted">web demo</span>
        </h1>
        <div
          className="tabs"
          role="tablist"
          aria-label="Views"
          onKeyDown={(e) => {
            // The tab pattern: arrow keys move between tabs.
            if (e.key !== "ArrowLeft" && e.key !== "ArrowRight") return;
            const next: Tab = tab === "files" ? "playground" : "files";
            setTab(next);
            document.getElementById(`tab-${next}`)?.focus();
          }}
        >
          <button
            type="button"
            role="tab"
            id="tab-files"
            aria-selected={tab === "files"}
            tabIndex={tab === "files" ? 0 : -1}
            aria-controls="panel-files"
            onClick={() => setTab("files")}
          >
            File manager
          </button>
          <button
            type="button"
            role="tab"
            id="tab-playground"
            aria-selected={tab === "playground"}
            tabIndex={tab === "playground" ? 0 : -1}
            aria-controls="panel-playground"
            onClick={() => setTab("playground")}
          >
            Protocol playground
          </button>
        </div>
      </header>
      <main>
        <div
          id="panel-files"
          role="tabpanel"
          aria-labelledby="tab-files"
          hidden={tab !== "files"}
          className="files-view"
        >
          <div className="primary-column">
            {sessionError && (
              <div className="card error" role="alert">
                <p>{sessionError}</p>
                <button type="button" onClick={() => void openSession()}>
                  Try again
                </button>
              </div>
            )}
            {notice && (
              <p className="notice" role="status">
                {notice}
              </p>
            )}
            {session && !connection && (
              <ConnectForm
                preset={session.preset}
                allowed={session.allowed}
                initial={initialValues(session.preset, search)}
                onConnect={connect}
              />
            )}
            {connection && (
              <FileBrowser
                key={connection.generation}
                api={api}
                server={connection.server}
                user={connection.user}
                secure={connection.secure}
                initialPath={connection.cwd}
                onDisconnect={() => void disconnect()}
                onSessionLost={sessionLost}
              />
            )}
          </div>
          <Inspector state={inspector} onClear={() => dispatch({ type: "clear" })} offline={stream === "retrying"} />
        </div>
        <div id="panel-playground" role="tabpanel" aria-labelledby="tab-playground" hidden={tab !== "playground"}>
          <Playground />
        </div>
      </main>
      <footer className="muted">
        Commands and replies are decoded in this page by <code>@ftpkit/protocol</code>; files go through a gateway on
        this machine that connects only to the servers it is allowed to.
      </footer>
    </div>
  );
}

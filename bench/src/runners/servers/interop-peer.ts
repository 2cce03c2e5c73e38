/** vsftpd and pyftpdlib, installed and started by the interop harness (test/interop/src/peers.ts). */
import { loadInterop } from "../../interop.js";
import { onCleanup } from "../../lifecycle.js";
import { meterFor } from "../../util/meter.js";
import { commandOutput, sleep } from "../../util/misc.js";
import type { ServerInstance, ServerRunner } from "../types.js";

type PeerName = "vsftpd" | "pyftpdlib";

async function versionOf(name: PeerName, python: string): Promise<string> {
  // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own format syntax
  if (name === "vsftpd") return (await commandOutput("dpkg-query", ["-W", "-f=${Version}", "vsftpd"])) ?? "?";
  return (await commandOutput(python, ["-c", "import pyftpdlib; print(pyftpdlib.__ver__)"])) ?? "?";
}

export function interopServer(name: PeerName, label: string): ServerRunner {
  return {
    name,
    label,
    ftpkit: false,
    async unavailable() {
      const interop = await loadInterop();
      return interop.peerUnavailableReason(name);
    },
    async start(ctx) {
      const interop = await loadInterop();
      const peer = await interop.startPeer(name, {
        parentDir: ctx.workDir,
        maxConnections: ctx.maxConnections,
        passivePortCount: ctx.passivePorts,
        quiet: true,
      });
      const meter = meterFor(name, peer.pid);
      const unregister = onCleanup(`stop ${name}`, async () => {
        await peer.stop();
        meter.close();
      });
      const baseline = meter.livePids().length;
      const version = await versionOf(name, interop.PYTHON);
      const instance: ServerInstance = {
        name,
        host: "127.0.0.1",
        port: peer.port,
        user: peer.user,
        password: peer.password,
        root: peer.root,
        owner: peer.owner,
        mlsd: interop.PEER_FEATURES[name].mlsd,
        description: `${name} ${version} (interop harness, quiet logs, maxConnections ${ctx.maxConnections}, ${ctx.passivePorts} passive ports; CPU: ${meter.method})`,
        cpuSeconds: () => meter.cpuSeconds(),
        memoryBytes: () => meter.memoryBytes(),
        async settle() {
          // vsftpd: two processes per session, gone shortly after QUIT
          for (let i = 0; i < 100 && meter.livePids().length > baseline; i++) await sleep(20);
        },
        async stop() {
          unregister();
          await peer.stop();
          meter.close();
        },
      };
      return instance;
    },
  };
}

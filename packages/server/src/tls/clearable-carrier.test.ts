import { once } from "node:events";
import { createServer, type Socket, connect as tcpConnect } from "node:net";
import { createSecureContext, TLSSocket, connect as tlsConnect } from "node:tls";
import { afterEach, describe, expect, it } from "vitest";
import { ClearableTlsCarrier, TlsRecordSkipper } from "./clearable-carrier.js";
import { generateSelfSignedCertificate } from "./self-signed.js";

const record = (type: number, length: number) =>
  Buffer.concat([Buffer.from([type, 3, 3, length >> 8, length & 0xff]), Buffer.alloc(length, 0xaa)]);

describe("TlsRecordSkipper", () => {
  it("drops whole TLS records before the clear text, in any split", () => {
    const stream = Buffer.concat([record(21, 26), record(23, 19), Buffer.from("PWD\r\nNOOP\r\n")]);
    for (let cut = 0; cut <= stream.length; cut++) {
      const skipper = new TlsRecordSkipper();
      const out = Buffer.concat([skipper.feed(stream.subarray(0, cut)), skipper.feed(stream.subarray(cut))]);
      expect(out.toString()).toBe("PWD\r\nNOOP\r\n");
      expect(skipper.done).toBe(true);
    }
  });

  it("passes clear text through at once when the client sent no close_notify", () => {
    const skipper = new TlsRecordSkipper();
    expect(skipper.feed(Buffer.from("PASV\r\n")).toString()).toBe("PASV\r\n");
    expect(skipper.done).toBe(true);
    // Later bytes are never inspected again, even if they look like a record.
    expect(skipper.feed(record(21, 2))).toEqual(record(21, 2));
  });

  it("stops skipping after a few records: a stream of records is not a TLS shutdown", () => {
    const skipper = new TlsRecordSkipper();
    const many = Buffer.concat([record(23, 4), record(23, 4), record(23, 4), record(23, 4), record(23, 4)]);
    expect(skipper.feed(many)).toEqual(record(23, 4));
    expect(skipper.done).toBe(true);
  });
});

describe("ClearableTlsCarrier", () => {
  const sockets: Socket[] = [];
  afterEach(() => {
    for (const s of sockets.splice(0)) s.destroy();
  });

  it("ends TLS with close_notify and keeps the TCP connection for clear text; unreleased, it ends the connection", async () => {
    const pem = generateSelfSignedCertificate();
    const secureContext = createSecureContext({ cert: pem.cert, key: pem.key });
    const accepted: Socket[] = [];
    const server = createServer((s) => accepted.push(s));
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const { port } = server.address() as { port: number };
    try {
      // CCC: TLS ends, the TCP connection stays.
      const raw = tcpConnect(port, "127.0.0.1");
      sockets.push(raw);
      await once(raw, "connect");
      while (accepted.length === 0) await new Promise((r) => setImmediate(r));
      const serverRaw = accepted[0] as Socket;
      sockets.push(serverRaw);
      const carrier = new ClearableTlsCarrier(serverRaw);
      const serverTls = new TLSSocket(carrier, { isServer: true, secureContext });
      serverTls.on("error", () => {});
      // The client side runs over a carrier too, as a CCC-capable client must.
      const clientCarrier = new ClearableTlsCarrier(raw);
      const clientTls = tlsConnect({ socket: clientCarrier, rejectUnauthorized: false });
      clientTls.on("error", () => {});
      await once(serverTls, "secure");
      serverTls.write("200 clearing\r\n");
      const [greeting] = (await once(clientTls, "data")) as [Buffer];
      expect(greeting.toString()).toBe("200 clearing\r\n");

      carrier.beginClose();
      clientCarrier.beginClose();
      const clientEnded = once(clientTls, "end"); // our close_notify reached the client
      serverTls.end();
      await once(serverTls, "finish");
      const { socket, rest } = carrier.release();
      expect(rest.length).toBe(0);
      serverTls.destroy();
      await clientEnded;
      const client = clientCarrier.release().socket;
      expect(socket.destroyed).toBe(false);
      expect(client.destroyed).toBe(false);
      // Clear text both ways on the same TCP connection; the client's answering close_notify
      // may come first on the server's side, and the skipper drops it.
      const skipper = new TlsRecordSkipper();
      let received = "";
      socket.on("data", (chunk: Buffer) => {
        received += skipper.feed(chunk).toString();
      });
      socket.resume();
      client.write("NOOP\r\n");
      while (!received.includes("\r\n")) await new Promise((r) => setTimeout(r, 5));
      expect(received).toBe("NOOP\r\n");
      let answer = "";
      const clientSkipper = new TlsRecordSkipper();
      client.on("data", (chunk: Buffer) => {
        answer += clientSkipper.feed(chunk).toString();
      });
      client.resume();
      socket.write("200 clear\r\n");
      while (!answer.includes("\r\n")) await new Promise((r) => setTimeout(r, 5));
      expect(answer).toBe("200 clear\r\n");

      // Without CCC, ending the TLS socket ends the TCP connection too (FIN after close_notify).
      const raw2 = tcpConnect(port, "127.0.0.1");
      sockets.push(raw2);
      await once(raw2, "connect");
      while (accepted.length < 2) await new Promise((r) => setImmediate(r));
      const serverRaw2 = accepted[1] as Socket;
      sockets.push(serverRaw2);
      const tls2 = new TLSSocket(new ClearableTlsCarrier(serverRaw2), { isServer: true, secureContext });
      tls2.on("error", () => {});
      const client2 = tlsConnect({ socket: raw2, rejectUnauthorized: false });
      client2.on("error", () => {});
      await once(tls2, "secure");
      const finSent = once(serverRaw2, "finish");
      tls2.end();
      await finSent;
      expect(serverRaw2.writableEnded).toBe(true);
    } finally {
      server.close();
    }
  });
});

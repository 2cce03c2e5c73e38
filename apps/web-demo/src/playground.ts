import { ConnectionPair } from "@ftpkit/protocol/testing";

/** One line of a playground transcript: who wrote it and the text on the wire. */
export interface TranscriptLine {
  readonly from: "client" | "server";
  readonly text: string;
}

/**
 * The protocol playground's engine: a client session and a server session from
 * @ftpkit/protocol wired to each other in memory, with no server anywhere. Runs in the
 * browser unchanged (the protocol core has no Node APIs).
 */
export function runLoginScenario(user = "demo", password = "demo"): TranscriptLine[] {
  const pair = new ConnectionPair({ users: { [user]: password }, files: { "/welcome.txt": "Hello from ftpkit!\n" } });
  pair.login(user, password);
  pair.request("TYPE", "I");
  pair.request("EPSV");
  pair.request("RETR", "welcome.txt");
  pair.request("QUIT");
  const decoder = new TextDecoder();
  return pair.wire.map((w) => ({ from: w.from, text: decoder.decode(w.bytes).trimEnd() }));
}

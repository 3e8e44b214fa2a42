// connectTcp reconnects the sockets of refused connects (collectors/tls/probe.ts): a reused
// socket must reach the address and port it is asked for, and a refusal after a success or a
// reuse must still read as one. Loopback only, 127.65.x.x.
import { once } from "node:events";
import { type Server, type Socket, createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectTcp } from "../../collectors/tls/probe.js";

const LISTENING = "127.65.7.1";
const PORT = 9447;
let server: Server;
const seen: string[] = [];

beforeAll(async () => {
  server = createServer((socket) => {
    seen.push(socket.localAddress ?? "");
    socket.end("hello");
  });
  server.listen(PORT, LISTENING);
  await once(server, "listening");
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const signal = new AbortController().signal;
const connect = (host: string) => connectTcp(host, PORT, 10_000, signal);

describe("connectTcp after refused connects", () => {
  it("refuses, connects and refuses again in turn, each socket where it was sent", async () => {
    for (let round = 0; round < 50; round++) {
      // Closed addresses first, so the open one is dialled on a socket a refusal left behind.
      for (const closed of ["127.65.7.2", "127.65.7.3"]) {
        expect(await connect(closed)).toEqual({ status: "closed", error: "connection refused" });
      }
      const open = await connect(LISTENING);
      if ("status" in open) throw new Error(`round ${round}: ${open.error}`);
      const socket: Socket = open.socket;
      expect([socket.remoteAddress, socket.remotePort]).toEqual([LISTENING, PORT]);
      const [greeting] = (await once(socket, "data")) as [Buffer];
      expect(greeting.toString()).toBe("hello");
      socket.destroy();
    }
    expect(seen).toHaveLength(50);
  }, 60_000);
});

// A DC that is down, silent, speaking garbage, or refusing the bind is a recorded error in the
// snapshot and the tally, quickly; never an exception out of the collector.
import { type AddressInfo, type Server, type Socket, createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { collect, labOptions } from "./collect.js";
import { adcsLab } from "./lab.js";

const lab = adcsLab();

function listen(onConnection: (socket: Socket) => void): Promise<{ server: Server; port: number }> {
  return new Promise((resolve) => {
    const server = createServer(onConnection);
    server.listen(0, "127.0.0.1", () => resolve({ server, port: (server.address() as AddressInfo).port }));
  });
}

async function failedCollection(options: Parameters<typeof labOptions>[1]) {
  const run = await collect(labOptions(lab, { timeoutMs: 500, ...options }));
  await run.store.close();
  expect(run.tally).toMatchObject({ sources: 1, failed: 1, templates: 0, caCertificates: 0 });
  expect(run.snapshot.errors).toHaveLength(1);
  expect(run.contents.sightings).toEqual([]);
  return run;
}

describe("AD CS collector failures", () => {
  let silent: { server: Server; port: number };
  let garbage: { server: Server; port: number };
  beforeAll(async () => {
    silent = await listen(() => {});
    garbage = await listen((socket) => socket.end(Buffer.from("HTTP/1.0 400 Bad Request\r\n\r\n")));
  });
  afterAll(() => {
    silent.server.close();
    garbage.server.close();
  });

  it("records a refused connection at once", async () => {
    const run = await failedCollection({ url: "ldaps://127.0.0.1:1" });
    expect(run.snapshot.errors[0]).toEqual({ context: "connect", message: expect.stringContaining("ECONNREFUSED") });
    expect(run.elapsedMs).toBeLessThan(2000);
  });

  it.each([
    ["LDAPS (TLS handshake)", { url: "ldaps://127.0.0.1:PORT" }],
    ["StartTLS", { url: "ldap://127.0.0.1:PORT", startTls: true }],
    ["plain LDAP bind", { url: "ldap://127.0.0.1:PORT", allowPlaintext: true }],
  ])("gives up on a server that never answers (%s) within the timeout", async (_name, options) => {
    const run = await failedCollection({ ...options, url: options.url.replace("PORT", String(silent.port)) });
    expect(run.snapshot.errors[0]?.message).toMatch(/time/i);
    expect(run.elapsedMs).toBeLessThan(3000);
  });

  it("records a server that is not LDAP", async () => {
    const run = await failedCollection({ url: `ldap://127.0.0.1:${garbage.port}`, allowPlaintext: true });
    expect(run.elapsedMs).toBeLessThan(3000);
  });

  it("refuses an empty password rather than binding anonymously", async () => {
    const run = await failedCollection({ password: "" });
    expect(run.snapshot.errors[0]).toEqual({ context: "bind", message: expect.stringContaining("unauthenticated") });
  });

  it.each(["http://127.0.0.1", "ldaps://127.0.0.1/DC=pki,DC=test", "not a url"])("refuses the URL %s", async (url) => {
    const run = await failedCollection({ url });
    expect(run.snapshot.errors[0]?.context).toBe("url");
  });
});

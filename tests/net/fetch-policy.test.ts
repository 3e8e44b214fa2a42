// The fetch policy for URLs taken from certificates, against a real HTTP server on loopback:
// schemes, allow and deny lists (names, CIDRs checked after DNS resolution), no redirects,
// size and time caps, and --no-fetch.
import { once } from "node:events";
import { type Server, createServer } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_FETCH } from "../../src/engine/defaults.js";
import { UsageError } from "../../src/errors.js";
import { FetchPolicy, type FetchPolicyOptions } from "../../src/net/fetch-policy.js";
import { UrlFetcher, parseLdapUrl } from "../../src/net/fetcher.js";

let server: Server;
let base: string;
let port: number;
const hits: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    hits.push(req.url ?? "");
    if (req.url === "/redirect") {
      res.writeHead(302, { location: "http://127.0.0.1:1/elsewhere" });
      res.end();
    } else if (req.url === "/big") {
      res.writeHead(200);
      res.end(Buffer.alloc(64 * 1024));
    } else if (req.url === "/hang") {
      res.writeHead(200);
      res.write("x");
    } else {
      res.writeHead(200, { "content-type": "application/pkix-crl" });
      res.end("body");
    }
  });
  server.listen(0, "127.86.0.1");
  await once(server, "listening");
  port = (server.address() as { port: number }).port;
  base = `http://127.86.0.1:${port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

function fetcher(options: Partial<FetchPolicyOptions> = {}): UrlFetcher {
  return new UrlFetcher(new FetchPolicy({ ...DEFAULT_FETCH, timeoutMs: 1000, ...options }));
}

describe("fetch policy", () => {
  it("fetches http and refuses other schemes", async () => {
    const f = fetcher();
    expect(await f.fetch(`${base}/ok`)).toMatchObject({ ok: true, status: 200 });
    expect(await f.fetch("ftp://127.86.0.1/x.crl")).toMatchObject({ ok: false, error: "scheme ftp: is never fetched" });
    expect(await f.fetch("file:///etc/passwd")).toMatchObject({ ok: false });
    await f.close();
  });

  it("does not follow redirects", async () => {
    const f = fetcher();
    expect(await f.fetch(`${base}/redirect`)).toMatchObject({ ok: false, error: "HTTP 302: redirect to http://127.0.0.1:1/elsewhere not followed", status: 302 });
    await f.close();
  });

  it("caps size and time", async () => {
    const f = fetcher({ maxBytes: 1024, timeoutMs: 300 });
    expect(await f.fetch(`${base}/big`)).toMatchObject({ ok: false, error: expect.stringContaining("1024-byte cap") });
    const started = Date.now();
    expect(await f.fetch(`${base}/hang`)).toMatchObject({ ok: false, error: "no complete answer within 300 ms" });
    expect(Date.now() - started).toBeLessThan(2000);
    await f.close();
  });

  it("applies deny and allow lists to literal addresses without sending anything", async () => {
    const before = hits.length;
    const denied = fetcher({ deny: ["127.86.0.0/24"] });
    expect(await denied.fetch(`${base}/ok`)).toMatchObject({ ok: false, error: expect.stringContaining("denied") });
    const notAllowed = fetcher({ allow: ["10.0.0.0/8"] });
    expect(await notAllowed.fetch(`${base}/ok`)).toMatchObject({ ok: false, error: expect.stringContaining("not in --fetch-allow") });
    expect(hits.length).toBe(before);
    const allowed = fetcher({ allow: ["127.86.0.1"] });
    expect(await allowed.fetch(`${base}/ok`)).toMatchObject({ ok: true });
    await Promise.all([denied.close(), notAllowed.close(), allowed.close()]);
  });

  it("checks the addresses a name resolves to against CIDR rules", async () => {
    // localhost resolves into 127.0.0.0/8: allowed by CIDR, then denied by CIDR.
    const local = createServer((_req, res) => res.end("hi"));
    local.listen(0, "127.0.0.1");
    await once(local, "listening");
    const url = `http://localhost:${(local.address() as { port: number }).port}/`;
    const allowed = fetcher({ allow: ["127.0.0.0/8"] });
    expect(await allowed.fetch(url)).toMatchObject({ ok: true });
    const denied = fetcher({ deny: ["127.0.0.0/8"] });
    expect(await denied.fetch(url)).toMatchObject({ ok: false, error: "EFETCHPOLICY" });
    const byName = fetcher({ deny: ["localhost"] });
    expect(await byName.fetch(url)).toMatchObject({ ok: false, error: expect.stringContaining("denied") });
    await Promise.all([allowed.close(), denied.close(), byName.close()]);
    local.closeAllConnections();
    await new Promise((r) => local.close(r));
  });

  it("refuses everything with --no-fetch", () => {
    expect(new FetchPolicy({ ...DEFAULT_FETCH, enabled: false }).refusal(`${base}/ok`)).toContain("--no-fetch");
  });

  it("rejects bad list entries up front", () => {
    expect(() => new FetchPolicy({ ...DEFAULT_FETCH, allow: ["not a host!"] })).toThrow(UsageError);
  });

  it("reads LDAP URLs as AD CS writes them, and fetches none without a host", async () => {
    expect(parseLdapUrl("ldap://dc1.pki.test/CN=Issuing%20CA,CN=CDP,CN=Public%20Key%20Services,CN=Services,CN=Configuration,DC=pki,DC=test?certificateRevocationList?base?objectClass=cRLDistributionPoint")).toEqual({
      host: "dc1.pki.test", port: 389, attribute: "certificateRevocationList",
      dn: "CN=Issuing CA,CN=CDP,CN=Public Key Services,CN=Services,CN=Configuration,DC=pki,DC=test",
    });
    const f = fetcher();
    expect(await f.fetch("ldap:///CN=x?certificateRevocationList")).toMatchObject({ ok: false, error: expect.stringContaining("without a host") });
    await f.close();
  });
});

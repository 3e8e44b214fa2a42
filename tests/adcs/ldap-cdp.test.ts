// ldap:// CRL distribution points against the real Samba DC: an AD DC refuses anonymous reads,
// so a CDP on it is recorded as not assessed (not as unreachable), and a CDP on a closed port is
// unreachable.
import { afterAll, describe, expect, it } from "vitest";
import { crlCollector } from "../../collectors/crl/index.js";
import { DEFAULT_FETCH } from "../../src/engine/defaults.js";
import type { CrlObservation } from "../../src/model/revocation.js";
import { FetchPolicy } from "../../src/net/fetch-policy.js";
import { UrlFetcher } from "../../src/net/fetcher.js";
import { silentLogger } from "../../src/log.js";
import { ExclusionList } from "../../src/targets/targets.js";
import { adcsLab } from "./lab.js";

const lab = adcsLab();
const fetcher = new UrlFetcher(new FetchPolicy({ ...DEFAULT_FETCH, timeoutMs: 3000 }));
const cdpDn = `CN=PkiLab-CA1,CN=dc1,CN=CDP,${lab.manifest.publicKeyServicesDn}`;
const onDc = `ldap://127.0.0.1/${encodeURI(cdpDn)}?certificateRevocationList?base?objectClass=cRLDistributionPoint`;
const closed = `ldap://127.0.0.1:1/${encodeURI(cdpDn)}?certificateRevocationList`;

afterAll(() => fetcher.close());

async function collect(urls: string[]): Promise<CrlObservation[]> {
  const seen: CrlObservation[] = [];
  const recorder = { addCrl: async (o: CrlObservation) => void seen.push(o) };
  await crlCollector.collect(
    { targets: urls.map((url) => ({ url, source: "cdp", certificates: [] })), files: [], fetcher },
    {
      recorder: recorder as never, log: silentLogger, signal: new AbortController().signal, exclusions: new ExclusionList([]),
      timeouts: { connectMs: 1000, handshakeMs: 1000 }, concurrency: 2, onProgress: () => {},
    },
  );
  return seen;
}

describe("ldap:// CRL distribution points", () => {
  it("reaches the DC over LDAP and reports that it needs credentials", async () => {
    const response = await fetcher.fetch(onDc);
    expect(response).toMatchObject({ ok: false, needsCredentials: true });
  });

  it("records a CDP the DC will not serve anonymously as skipped, a dead one as an error", async () => {
    const seen = await collect([onDc, closed]);
    const dc = seen.find((o) => o.url === onDc);
    const dead = seen.find((o) => o.url === closed);
    expect(dc).toMatchObject({ error: null, crl: null });
    expect(dc!.skipped).toContain("--ldap");
    expect(dead!.skipped).toBeNull();
    expect(dead!.error).toMatch(/LDAP: /);
  });
});

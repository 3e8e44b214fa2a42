// Kerberos (SASL GSSAPI) binds against the lab DC: a real ticket from Samba's KDC on
// 127.0.0.1:88, got with kinit (the password on stdin, never on a command line), then the AD CS
// collector over LDAPS and StartTLS must read what a simple bind reads. No ticket, an unknown
// service principal or an unreachable KDC are recorded errors of the source, never exceptions.
// The Kerberos library reads KRB5_CONFIG and KRB5CCNAME from the environment when it creates a
// context, so they are set in this process before the first bind (and restored afterwards).
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AdcsSnapshot } from "../../src/model/adcs.js";
import { runInProcess, runToEnd, spawnCli } from "../cli/cli-helpers.js";
import { collect, labOptions } from "./collect.js";
import { adcsLab, labPassword } from "./lab.js";

const lab = adcsLab();
/** The lab DC's name (samba-dc.sh provisions --host-name=dc1 in PKI.TEST and registers ldap/dc1.pki.test). */
const DC_HOST = "dc1.pki.test";
const REALM = "PKI.TEST";

const dir = mkdtempSync(join(tmpdir(), "pkiscope-krb5-"));
const krb5Conf = join(dir, "krb5.conf");
const ccache = `FILE:${join(dir, "ccache")}`;

function writeKrb5Conf(path: string, kdc: string): void {
  // No DNS at all: the KDC is named, and host names are used as given for service principals.
  writeFileSync(path, [
    "[libdefaults]",
    `  default_realm = ${REALM}`,
    "  dns_lookup_kdc = false",
    "  dns_lookup_realm = false",
    "  rdns = false",
    "  dns_canonicalize_hostname = false",
    "  udp_preference_limit = 1",
    "[realms]",
    `  ${REALM} = {`,
    `    kdc = ${kdc}`,
    "  }",
    "[domain_realm]",
    `  .pki.test = ${REALM}`,
    `  pki.test = ${REALM}`,
    "",
  ].join("\n"));
}

/** kinit with the password on stdin; resolves with its exit code and output. */
function kinit(env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("kinit", [`Administrator@${REALM}`], { env: { ...process.env, ...env }, stdio: ["pipe", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, output }));
    child.stdin.end(`${labPassword()}\n`);
  });
}

function kerberosOptions(overrides: Parameters<typeof labOptions>[1] = {}) {
  return labOptions(lab, { auth: "kerberos", spnHost: DC_HOST, bindDn: "", password: "", ...overrides });
}

function templateNames(snapshot: AdcsSnapshot): string[] {
  return snapshot.templates.map((t) => t.name).sort();
}

describe("AD CS collector with Kerberos binds", () => {
  const saved = { KRB5_CONFIG: process.env.KRB5_CONFIG, KRB5CCNAME: process.env.KRB5CCNAME };
  let simple: AdcsSnapshot;

  beforeAll(async () => {
    writeKrb5Conf(krb5Conf, "127.0.0.1");
    process.env.KRB5_CONFIG = krb5Conf;
    process.env.KRB5CCNAME = ccache;
    const { code, output } = await kinit({ KRB5_CONFIG: krb5Conf, KRB5CCNAME: ccache });
    expect(code, `kinit failed: ${output}`).toBe(0);
    const run = await collect(labOptions(lab));
    await run.store.close();
    expect(run.snapshot.errors).toEqual([]);
    simple = run.snapshot;
  });

  afterAll(() => {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });

  it("binds over LDAPS with the ticket and reads the same templates as a simple bind", async () => {
    const run = await collect(kerberosOptions());
    await run.store.close();
    expect(run.snapshot.errors).toEqual([]);
    expect(run.tally).toMatchObject({ sources: 1, failed: 0 });
    expect(templateNames(run.snapshot).length).toBeGreaterThan(0);
    expect(templateNames(run.snapshot)).toEqual(templateNames(simple));
    // Reading security descriptors needs an authenticated session: the Kerberos one is Administrator's.
    expect(run.snapshot.templates.map((t) => [t.name, JSON.stringify(t.security)]).sort())
      .toEqual(simple.templates.map((t) => [t.name, JSON.stringify(t.security)]).sort());
    expect(run.snapshot.certificationAuthorities.length).toBe(simple.certificationAuthorities.length);
  });

  it("binds after StartTLS on ldap:// too", async () => {
    const run = await collect(kerberosOptions({ url: lab.ldapUrl, startTls: true }));
    await run.store.close();
    expect(run.snapshot.errors).toEqual([]);
    expect(templateNames(run.snapshot)).toEqual(templateNames(simple));
  });

  it("refuses plain ldap:// without TLS before sending anything", async () => {
    const run = await collect(kerberosOptions({ url: lab.ldapUrl, allowPlaintext: true }));
    await run.store.close();
    expect(run.snapshot.errors).toEqual([{ context: "connect", message: expect.stringContaining("needs TLS") }]);
  });

  it("records an error when there is no ticket", async () => {
    process.env.KRB5CCNAME = `FILE:${join(dir, "no-such-ccache")}`;
    try {
      const run = await collect(kerberosOptions());
      await run.store.close();
      expect(run.tally).toMatchObject({ sources: 1, failed: 1, templates: 0 });
      expect(run.snapshot.errors).toEqual([{ context: "bind", message: expect.stringMatching(/No Kerberos credentials available/) }]);
    } finally {
      process.env.KRB5CCNAME = ccache;
    }
  });

  it("records an error for a service principal the KDC does not know", async () => {
    const run = await collect(kerberosOptions({ spnHost: "nosuch.pki.test" }));
    await run.store.close();
    expect(run.tally).toMatchObject({ sources: 1, failed: 1 });
    expect(run.snapshot.errors).toEqual([{ context: "bind", message: expect.stringMatching(/ldap@nosuch\.pki\.test.*not found/i) }]);
  });

  it("records an error, with a hint, when the principal is built from the IP address connected to", async () => {
    const run = await collect(kerberosOptions({ spnHost: undefined }));
    await run.store.close();
    expect(run.tally).toMatchObject({ sources: 1, failed: 1 });
    expect(run.snapshot.errors).toEqual([{ context: "bind", message: expect.stringContaining("give the DC's host name") }]);
  });

  it("records an error when the KDC cannot be reached", async () => {
    // A fresh cache with only the TGT (no service ticket yet), and a KDC port nobody listens on.
    const conf = join(dir, "krb5-unreachable.conf");
    const cache = `FILE:${join(dir, "ccache-tgt-only")}`;
    writeKrb5Conf(conf, "127.0.0.1");
    expect((await kinit({ KRB5_CONFIG: conf, KRB5CCNAME: cache })).code).toBe(0);
    writeKrb5Conf(conf, "127.0.0.1:1");
    process.env.KRB5_CONFIG = conf;
    process.env.KRB5CCNAME = cache;
    try {
      const run = await collect(kerberosOptions());
      await run.store.close();
      expect(run.tally).toMatchObject({ sources: 1, failed: 1 });
      expect(run.snapshot.errors).toEqual([{ context: "bind", message: expect.stringMatching(/Cannot contact any KDC|timed out/) }]);
    } finally {
      process.env.KRB5_CONFIG = krb5Conf;
      process.env.KRB5CCNAME = ccache;
    }
  });

  it("pkiscope scan --ldap-auth kerberos reads the templates without a bind DN or password", async () => {
    const out = join(dir, "report");
    const { code, output } = await runToEnd(spawnCli([
      "scan", "--ldap", lab.ldapsUrl, "--ldap-auth", "kerberos", "--ldap-spn-host", DC_HOST, "--ldap-insecure",
      "--no-fetch", "--db", join(dir, "pkiscope.db"), "--out", out, "--no-progress", "--verbose",
    ], { KRB5_CONFIG: krb5Conf, KRB5CCNAME: ccache }));
    expect(code, output).toBe(0);
    expect(output).toContain("templates");
    const report = JSON.parse(readFileSync(join(out, "report.json"), "utf8")) as { inventory: { adcs: { forests: unknown[] } } };
    expect(report.inventory.adcs.forests).toHaveLength(1);
  });

  it("pkiscope scan --ldap-auth kerberos with no ticket completes with the source's error recorded", async () => {
    const { code, output } = await runToEnd(spawnCli([
      "scan", "--ldap", lab.ldapsUrl, "--ldap-auth", "kerberos", "--ldap-spn-host", DC_HOST, "--ldap-insecure",
      "--no-fetch", "--db", join(dir, "pkiscope-none.db"), "--out", join(dir, "report-none"), "--no-progress",
    ], { KRB5_CONFIG: krb5Conf, KRB5CCNAME: `FILE:${join(dir, "no-such-ccache")}` }));
    expect(code, output).toBe(0);
    expect(output).toMatch(/No Kerberos credentials available/);
  });

  it.each([
    [["--ldap-auth", "ntlm"], /--ldap-auth: expected simple or kerberos/],
    [["--ldap-auth", "kerberos", "--bind-dn", "x"], /drop --bind-dn and --password-env/],
    [["--ldap-auth", "kerberos", "--ldap", "ldap://127.0.0.1"], /needs ldaps:\/\/ or --ldap-starttls/],
    [["--bind-dn", "x", "--password-env", "P", "--ldap-spn-host", DC_HOST], /--ldap-spn-host applies to --ldap-auth kerberos only/],
  ])("refuses inconsistent Kerberos options %j as usage errors", async (args, message) => {
    const url = args.includes("--ldap") ? [] : ["--ldap", lab.ldapsUrl];
    const result = await runInProcess(["scan", ...url, ...args, "--db", join(dir, "usage.db"), "--no-report"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });
});

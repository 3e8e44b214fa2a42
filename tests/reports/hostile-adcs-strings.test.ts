// Hostile AD CS strings, asserted on what pkiscope really writes: LDAP entries shaped as ldapts
// returns them (an ESC1 template, an enterprise CA, the root store, NTAuth, AIA, CDP and an
// enterprise OID) carry HTML and script, CSV formulas, ANSI escapes, C1 and bidi controls and
// line breaks in their names, DNs, host names, template lists and principals. They go through
// the collector's own decoding into a run of a real SQLite store, which the engine concludes
// (rules, maturity); then `pkiscope report`, `runs`, `maturity`, `metrics`, `diff` and `assess`
// run as child processes; report.html, assessment.html and the Markdown diff and assessment
// (rendered by markdown-it with raw HTML allowed) are loaded in Debian's headless Chromium, with
// the documents' CSP honoured and bypassed, and nothing may run.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client, type Entry } from "ldapts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LdapEntry } from "../../collectors/adcs/ldap-entry.js";
import { addEntry } from "../../collectors/adcs/pki-objects.js";
import { resolvePrincipals, sidsIn } from "../../collectors/adcs/resolve-principals.js";
import { buildCertificate } from "../../fixtures/lib/certificate-builder.js";
import { generateKeyPair } from "../../fixtures/lib/keys.js";
import { DEFAULT_FETCH, DEFAULT_REVOCATION, DEFAULT_THRESHOLDS } from "../../src/engine/defaults.js";
import { type ScanPlan, concludeRun, openRun } from "../../src/engine/scan.js";
import { silentLogger } from "../../src/log.js";
import { ADCS_SNAPSHOT_VERSION, type AdcsSnapshot } from "../../src/model/adcs.js";
import { ObservationRecorder } from "../../src/observations/recorder.js";
import { SqliteStore } from "../../src/store/sqlite-store.js";
import { securityDescriptor } from "../adcs/sd-builder.js";
import { runInProcess, runToEnd, spawnCli } from "../cli/cli-helpers.js";
import { INJECTED_FUNCTION } from "./headless-chromium.js";
import {
  INERT_ANSI, type MarkupPayloads, TERMINAL_PAYLOADS, UNPRINTABLE, expectInert, expectPrintable, itHasNoFormulaCells, loadPages, markdownPage, markupPayloads, startMarkerServer,
} from "./hostile-payloads.js";

const MARKER_ADDRESS = "127.209.0.9";
const DAY_MS = 86_400_000;
const CONFIG = "CN=Configuration,DC=hostile,DC=test";
const PKS = `CN=Public Key Services,CN=Services,${CONFIG}`;
const DOMAIN = "S-1-5-21-1-2-3";
const DOMAIN_USERS = `${DOMAIN}-513`;
const DOMAIN_COMPUTERS = `${DOMAIN}-515`;
const DOMAIN_ADMINS = `${DOMAIN}-512`;
const ENROLL = "0e10c968-78fb-11d2-90d4-00c04f79dc55";
const CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
const WRITE_DACL = 0x40000;

let dir: string;
let out: string;
let db: string;
let marker: Awaited<ReturnType<typeof startMarkerServer>>;
let names: ReturnType<typeof hostileNames>;
const printed: Record<string, string> = {};

/** The values the directory holds: each a name an attacker with write access to the configuration could choose. */
function hostileNames(markup: MarkupPayloads) {
  return {
    esc1Template: `ESC1 ${markup.script} ${TERMINAL_PAYLOADS.ansi}`,
    esc1DisplayName: `${markup.image}${TERMINAL_PAYLOADS.forgedLines}`,
    formulaTemplate: `=cmd|' /C calc'!A0 ${TERMINAL_PAYLOADS.c1AndBidi}`,
    ca: `CA ${markup.attributeBreak}${TERMINAL_PAYLOADS.forgedLines}`,
    caHost: `${markup.quoteBreak}.hostile.test${TERMINAL_PAYLOADS.ansi}`,
    unpublishedTemplates: [markup.titleBreak, "+SUM(1,1)", `@evil${TERMINAL_PAYLOADS.forgedLines}`],
    cdpHost: `${markup.javascriptUrl}${TERMINAL_PAYLOADS.ansi}`,
    oidDisplayName: `${markup.image} policy ${TERMINAL_PAYLOADS.c1AndBidi}`,
    oidGroup: `CN=${markup.script},CN=Users,DC=hostile,DC=test`,
    enrollers: `Domain Users ${markup.image}${TERMINAL_PAYLOADS.forgedLines}`,
    writers: `=HYPERLINK("${markup.javascriptUrl}") ${TERMINAL_PAYLOADS.ansi}`,
    caSubject: [["CN", "=cmd|' /C calc'!A0"], ["O", markup.remoteImage], ["OU", TERMINAL_PAYLOADS.ansi]] as Array<[string, string]>,
  };
}

/** An RDN value as a directory writes it in a DN (RFC 4514): specials backslashed, controls as \XX. */
function rdn(value: string): string {
  // eslint-disable-next-line no-control-regex
  return value.replace(/[\\,+"<>;=#]/g, "\\$&").replace(/[\u0000-\u001f\u007f]/g, (c) => `\\${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}

/** The directory's entries under CN=Public Key Services, as ldapts returns them (binary attributes as Buffers). */
function directoryEntries(n: ReturnType<typeof hostileNames>): Entry[] {
  const caKey = generateKeyPair({ kind: "ec", curve: "P-256" });
  const caCertificate = buildCertificate({
    subject: n.caSubject, publicKey: caKey.publicKey, selfSignKey: caKey.privateKey,
    notBefore: new Date(Date.now() - DAY_MS), notAfter: new Date(Date.now() + 3650 * DAY_MS), isCA: true, keyUsage: ["keyCertSign", "cRLSign"],
  }).der;
  const adminsOnly = securityDescriptor({ owner: DOMAIN_ADMINS, group: DOMAIN_ADMINS, aces: [] });
  const esc1Descriptor = securityDescriptor({
    owner: DOMAIN_ADMINS, group: DOMAIN_ADMINS,
    aces: [{ type: 5, mask: 0x100, sid: DOMAIN_USERS, objectType: ENROLL }, { type: 0, mask: WRITE_DACL, sid: DOMAIN_COMPUTERS }],
  });
  const template = (cn: string, displayName: string): Entry => ({
    dn: `CN=${rdn(cn)},CN=Certificate Templates,${PKS}`, objectClass: ["top", "pKICertificateTemplate"], cn, displayName,
    nTSecurityDescriptor: esc1Descriptor, flags: "131680", "msPKI-Template-Schema-Version": "2",
    "msPKI-Certificate-Name-Flag": "1", "msPKI-Enrollment-Flag": "0", "msPKI-Private-Key-Flag": "16842752", "msPKI-RA-Signature": "0",
    "msPKI-Minimal-Key-Size": "2048", "msPKI-Cert-Template-OID": "1.3.6.1.4.1.311.21.8.1.2.3",
    pKIExtendedKeyUsage: CLIENT_AUTH, "msPKI-Certificate-Application-Policy": CLIENT_AUTH,
  });
  const caObject = (container: string, cn: string): Entry => ({
    dn: `CN=${rdn(cn)},${container}${PKS}`, objectClass: ["top", "certificationAuthority"], cn,
    nTSecurityDescriptor: adminsOnly, cACertificate: caCertificate,
  });
  return [
    template(n.esc1Template, n.esc1DisplayName),
    template(n.formulaTemplate, n.formulaTemplate),
    {
      dn: `CN=${rdn(n.ca)},CN=Enrollment Services,${PKS}`, objectClass: ["top", "pKIEnrollmentService"], cn: n.ca,
      nTSecurityDescriptor: adminsOnly, cACertificate: caCertificate, dNSHostName: n.caHost,
      certificateTemplates: [n.esc1Template, n.formulaTemplate, ...n.unpublishedTemplates],
    },
    caObject("CN=Certification Authorities,", n.ca),
    caObject("CN=AIA,", n.ca),
    caObject("", "NTAuthCertificates"),
    {
      dn: `CN=${rdn(n.ca)},CN=${rdn(n.cdpHost)},CN=CDP,${PKS}`, objectClass: ["top", "cRLDistributionPoint"], cn: n.ca,
      nTSecurityDescriptor: adminsOnly, certificateRevocationList: Buffer.from([0]),
    },
    {
      dn: `CN=1234.ABCD${rdn(n.oidDisplayName)},CN=OID,${PKS}`, objectClass: ["top", "msPKI-Enterprise-Oid"], cn: "1234.ABCD",
      nTSecurityDescriptor: adminsOnly, displayName: n.oidDisplayName, "msPKI-Cert-Template-OID": "1.3.6.1.4.1.311.21.8.1.2.4",
      // Not an integer: recorded as an error naming the object's (hostile) DN.
      flags: `2${TERMINAL_PAYLOADS.forgedLines}`, "msDS-OIDToGroupLink": n.oidGroup,
    },
  ];
}

/** The snapshot as the collector builds it: its entries decoded by addEntry, principals named as resolvePrincipals names them. */
async function collectedSnapshot(n: ReturnType<typeof hostileNames>): Promise<{ snapshot: AdcsSnapshot; certificates: ReturnType<typeof addEntry> }> {
  const snapshot: AdcsSnapshot = {
    version: ADCS_SNAPSHOT_VERSION, source: "ldaps://127.209.0.1:636", configurationNamingContext: CONFIG, defaultNamingContext: "DC=hostile,DC=test",
    domainSid: DOMAIN, templates: [], enrollmentServices: [], certificationAuthorities: [], ntAuth: null, aia: [], cdp: [], oids: [],
    otherObjects: [], principals: {}, errors: [], truncated: false,
  };
  const certificates = directoryEntries(n).flatMap((raw) => addEntry(new LdapEntry(raw), PKS, snapshot));
  // With no naming context to search, resolvePrincipals names the well-known SIDs and never uses the client.
  const client = new Client({ url: "ldap://127.209.0.1:1" });
  snapshot.principals = await resolvePrincipals(client, null, sidsIn(snapshot), new AbortController().signal, snapshot.errors);
  // The domain's groups as the objectSid search would name them: by the sAMAccountName the directory holds.
  snapshot.principals[DOMAIN_USERS] = { name: n.enrollers, resolution: "directory" };
  snapshot.principals[DOMAIN_COMPUTERS] = { name: n.writers, resolution: "directory" };
  return { snapshot, certificates };
}

/** A run of the engine with nothing to probe; `withSnapshot` records the hostile directory under its LDAP shard first. */
async function concludedRun(store: SqliteStore, withSnapshot: boolean): Promise<string> {
  const plan: ScanPlan = {
    targetTexts: [], specs: [], ports: [443], exclude: [], files: [], trustAnchors: null, concurrency: 4,
    timeouts: { connectMs: 1000, handshakeMs: 1000 }, fetch: { ...DEFAULT_FETCH, enabled: false }, revocation: { ...DEFAULT_REVOCATION, enabled: false },
    thresholds: DEFAULT_THRESHOLDS, profile: { name: "adcs", networks: [], files: [] },
    ...(withSnapshot ? { ldap: [{ url: "ldaps://127.209.0.1:636", bindDn: "CN=reader,DC=hostile,DC=test", password: "unused", insecure: true }] } : {}),
  };
  const hooks = { log: silentLogger, signal: new AbortController().signal };
  const { run } = await openRun(store, plan, hooks);
  if (withSnapshot) {
    // What collectShard does for the LDAP shard, with the directory's answers decoded above in place of a DC's.
    const [shard] = (await store.runPlan(run.id))!.shards;
    const attempt = await store.claimShard(run.id, shard!.id);
    const recorder = new ObservationRecorder(store, run.id, { shard: attempt });
    const { snapshot, certificates } = await collectedSnapshot(names);
    const observedAt = new Date().toISOString();
    for (const { der, location } of certificates) await recorder.addSighting({ der, source: "ldap", location, position: null, observedAt });
    await recorder.addSnapshot({ kind: "adcs", source: snapshot.source, observedAt, snapshot });
    await recorder.close();
    await store.finishShard(run.id, attempt, { collectors: { adcs: { sources: 1, templates: snapshot.templates.length } }, parsed: recorder.parsedCount, durationMs: 0 });
  }
  return (await concludeRun(store, run, plan, hooks)).run.id;
}

async function pkiscope(name: string, args: string[]): Promise<string> {
  const { code, output } = await runToEnd(spawnCli(args));
  expect(code, `${name}: ${output}`).toBe(0);
  printed[name] = output;
  return output;
}

let runId: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "pkiscope-hostile-adcs-"));
  out = join(dir, "report");
  db = join(dir, "pkiscope.db");
  marker = await startMarkerServer(MARKER_ADDRESS);
  names = hostileNames(markupPayloads(marker.url));

  const store = new SqliteStore(db);
  let earlier: string;
  try {
    earlier = await concludedRun(store, false);
    runId = await concludedRun(store, true);
  } finally {
    await store.close();
  }

  const { stdout: template } = await runInProcess(["questionnaire", "init"]);
  writeFileSync(join(dir, "answers.yaml"), template);
  writeFileSync(join(dir, "pkiscope.yaml"), "profiles:\n  adcs:\n    sinks: []\n");
  const diff = (format: string) => ["diff", "--db", db, "--from", earlier, "--to", runId, "--format", format];
  // Two at a time (the machine has two cores); alert, which records its deliveries, runs alone after them.
  const commands: Array<[string, string[]]> = [
    ["report", ["report", "--db", db, "--run", runId, "--format", "html,csv,json,cbom", "--out", out]],
    ["runs", ["runs", "--db", db]],
    ["maturity", ["maturity", "--db", db, "--run", runId]],
    ["metrics", ["metrics", "--db", db]],
    ["diff text", diff("text")],
    ["diff md", diff("md")],
    ["assess", ["assess", "--db", db, "--run", runId, "--answers", join(dir, "answers.yaml"), "--out", join(dir, "assessment")]],
    // JSON printed to a terminal: lossless, and as printable as the text.
    ["report json", ["report", "--db", db, "--run", runId, "--format", "json"]],
    ["maturity json", ["maturity", "--db", db, "--run", runId, "--format", "json"]],
    ["diff json", diff("json")],
  ];
  for (let i = 0; i < commands.length; i += 2) await Promise.all(commands.slice(i, i + 2).map(([name, args]) => pkiscope(name, args)));
  await pkiscope("alert", ["alert", "--db", db, "--config", join(dir, "pkiscope.yaml"), "--profile", "adcs", "--run", runId]);
  writeFileSync(join(dir, "diff.html"), markdownPage(printed["diff md"]!));
  writeFileSync(join(dir, "assessment-md.html"), markdownPage(readFileSync(join(dir, "assessment", "assessment.md"), "utf8")));
}, 120_000);

afterAll(() => marker?.close());

interface ReportJson {
  inventory: {
    certificates: Array<{ subject: string }>;
    adcs: { forests: Array<{ templates: Array<{ name: string }>; enterpriseCas: Array<{ name: string }> }> };
  };
  findings: Array<{ ruleId: string; message: string }>;
}

const reportJson = (): ReportJson => JSON.parse(readFileSync(join(out, "report.json"), "utf8")) as ReportJson;

describe("the hostile directory reaches the reports through the collector's decoding and the rules", () => {
  it("names the templates and the CA in the report, and ESC1 and ESC4 fire on them", () => {
    const report = reportJson();
    const [forest] = report.inventory.adcs.forests;
    expect(forest?.templates.map((t) => t.name).sort()).toEqual([names.esc1Template, names.formulaTemplate].sort());
    expect(forest?.enterpriseCas.map((c) => c.name)).toEqual([names.ca]);
    const esc1 = report.findings.filter((f) => f.ruleId === "adcs-esc1").map((f) => f.message);
    expect(esc1).toHaveLength(2);
    expect(esc1.join("\n")).toContain(names.esc1Template);
    expect(esc1.join("\n")).toContain(names.enrollers);
    const esc4 = report.findings.filter((f) => f.ruleId === "adcs-esc4").map((f) => f.message);
    expect(esc4.join("\n")).toContain(names.writers);
  });
});

describe("the CycloneDX CBOM of a hostile directory", () => {
  it("is JSON that keeps the CA certificate's subject whole", () => {
    const cbom = readFileSync(join(out, "report.cdx.json"), "utf8");
    expect(cbom).not.toMatch(UNPRINTABLE);
    const [ca] = reportJson().inventory.certificates;
    expect(ca?.subject).toContain(TERMINAL_PAYLOADS.ansi.replace(";", "\\;"));
    expect(JSON.stringify(JSON.parse(cbom))).toContain(JSON.stringify(ca?.subject));
  });
});

describe("HTML documents of a hostile directory, in headless Chromium", () => {
  const pages = (): string[] => [
    join(out, "report.html"), join(dir, "assessment", "assessment.html"), join(dir, "diff.html"), join(dir, "assessment-md.html"),
  ];

  for (const bypassCsp of [false, true]) {
    it(`runs nothing and shows the hostile names as text (${bypassCsp ? "CSP bypassed: escaping alone" : "as written, CSP honoured"})`, async () => {
      const loaded = await loadPages(pages(), bypassCsp);
      for (const [page, seen] of loaded) {
        expectInert(page, seen);
        expect(seen.text, page).toContain(`template ESC1 <script>${INJECTED_FUNCTION}();fetch(`);
      }
      expect(marker.hits).toEqual([]);
      const reportText = loaded[0]![1].text;
      for (const shown of [names.esc1Template, names.formulaTemplate, names.ca, names.caHost, names.enrollers, names.writers, ...names.unpublishedTemplates]) {
        // An HTML parser reads CR LF and a lone CR as LF.
        expect(reportText).toContain(shown.replace(/\r\n?/g, "\n"));
      }
      // The OID whose flags are not an integer, named by its DN as the directory wrote it.
      expect(reportText).toContain(`CN=1234.ABCD${rdn(names.oidDisplayName)},CN=OID,`);
    });
  }
});

describe("inventory.csv of a hostile directory", () => {
  const csv = (): string => readFileSync(join(out, "inventory.csv"), "utf8");

  itHasNoFormulaCells(csv, 2);

  it("keeps the CA certificate the directory publishes, its subject whole", () => {
    expect(csv()).toContain("CN==cmd|' /C calc'!A0, O=\\<img src=");
  });
});

describe("terminal output of commands over a hostile directory", () => {
  const TERMINAL_COMMANDS = [
    "report", "runs", "maturity", "metrics", "diff text", "diff md", "assess", "report json", "maturity json", "diff json", "alert",
  ];

  it("holds no control character and no forged line in any command's output", () => {
    for (const name of TERMINAL_COMMANDS) expectPrintable(name, printed[name]!);
  });

  it("prints JSON whose controls are escapes: a parser reads the same values as from the files, nothing replaced", () => {
    expect(JSON.parse(printed["report json"]!)).toEqual(reportJson());
    expect(printed["report json"]).toContain("bidi\\u202eevil\\u2066");
    const alert = JSON.parse(printed["alert"]!.slice(printed["alert"]!.indexOf("{"))) as { events: unknown[] };
    expect(JSON.stringify(alert.events)).toContain(JSON.stringify(`template ${names.formulaTemplate}`).slice(1, -1));
    const diff = JSON.parse(printed["diff json"]!) as { findings: { opened: Array<{ message: string }> } };
    expect(diff.findings.opened.map((f) => f.message).join("\n")).toContain(`template ${names.esc1Template}: `);
  });

  it("still shows the hostile names, their controls replaced by U+FFFD", () => {
    expect(printed["diff text"]).toContain(`template ESC1 <script>`);
    expect(printed["diff text"]).toContain(INERT_ANSI);
    expect(printed["diff text"]).toContain("Domain Users <img src=x onerror=");
    expect(printed["diff text"]).toContain("line\uFFFDFORGED: a line of its own\uFFFD\uFFFDFORGED-CRLF\uFFFDFORGED-LS");
  });
});

/**
 * `pkiscope ARGS` with stdout a terminal: util-linux `script` runs it on a pseudo-terminal. The
 * terminal turns each line feed into CR LF on the way out; those are taken back to line feeds.
 */
async function onTerminal(args: string[]): Promise<string> {
  const command = [process.execPath, "--import", "tsx", "src/cli/main.ts", ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(" ");
  const child = spawn("script", ["-qec", command, "/dev/null"], { cwd: new URL("../..", import.meta.url).pathname, stdio: ["ignore", "pipe", "pipe"] });
  const { code, output } = await runToEnd(child);
  expect(code, output).toBe(0);
  return output.replaceAll("\r\n", "\n");
}

describe("CSV and HTML printed to stdout", () => {
  for (const [format, file] of [["csv", "inventory.csv"], ["html", "report.html"]] as const) {
    it(`reach a pipe byte for byte, and a terminal with every control replaced (${format})`, async () => {
      const written = readFileSync(join(out, file), "utf8");
      const piped = await runToEnd(spawnCli(["report", "--db", db, "--run", runId, "--format", format]));
      expect(piped.output).toBe(written);
      expect(written).toMatch(/\u001b\[31mRED/);
      const shown = await onTerminal(["report", "--db", db, "--run", runId, "--format", format]);
      // Tabs and line feeds lay the format out and are kept (a line break inside a CSV cell or HTML
      // text is the format's own); no other control reaches the terminal.
      expect(shown.replaceAll("\t", " ").match(UNPRINTABLE)?.[0], `report ${format} on a terminal`).toBeUndefined();
      expect(shown).toContain("\uFFFD[31mRED\uFFFD[0m");
      expect(shown.length).toBeGreaterThan(written.length / 2);
    });
  }
});

// Hostile strings through a real scan, asserted on what pkiscope really writes: TLS listeners on
// loopback serve certificates whose subjects, issuers and SANs carry HTML and script, CSV
// formulas, ANSI escapes, C1 and bidi controls and line breaks, and a scanned directory holds a
// file whose name does too. `pkiscope scan` (twice, for a diff), `runs`, `diff`, `maturity`,
// `metrics` and `assess` run as child processes; report.html, assessment.html and the Markdown
// diff (rendered by markdown-it with raw HTML allowed, as a ticket system might) are loaded in
// Debian's headless Chromium, with the documents' CSP honoured and bypassed, and nothing may run.
import { once } from "node:events";
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { type Server as TlsServer, createServer as createTlsServer } from "node:tls";
import { parse as parseCsv } from "csv-parse/sync";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CertificateSpec, buildCertificate, privateKeyPem } from "../../fixtures/lib/certificate-builder.js";
import { generateKeyPair } from "../../fixtures/lib/keys.js";
import { runToEnd, spawnCli } from "../cli/cli-helpers.js";
import { INJECTED_FUNCTION, openChromium } from "./headless-chromium.js";
import { INERT_ANSI, TERMINAL_PAYLOADS, expectInert, expectPrintable, itHasNoFormulaCells, loadPages, markdownPage, markupPayloads, startMarkerServer } from "./hostile-payloads.js";

const PREFIX = "127.183.0";
const MARKER_ADDRESS = `${PREFIX}.9`;
const TLS_PORT = 8443;
const DAY_MS = 86_400_000;

let dir: string;
let out: string;
let db: string;
let marker: Awaited<ReturnType<typeof startMarkerServer>>;
let markerHits: string[] = [];
const servers: TlsServer[] = [];
const printed: Record<string, string> = {};

function leafSpec(subject: Array<[string, string]>, dnsNames: string[], issuer: { der: Buffer; key: ReturnType<typeof generateKeyPair> }): CertificateSpec & { key: ReturnType<typeof generateKeyPair> } {
  const key = generateKeyPair({ kind: "ec", curve: "P-256" });
  return {
    key, subject, publicKey: key.publicKey, issuer: { certificateDer: issuer.der, privateKey: issuer.key.privateKey },
    notBefore: new Date(Date.now() - DAY_MS), notAfter: new Date(Date.now() + 5 * DAY_MS),
    isCA: false, dnsNames, extKeyUsage: ["serverAuth"], keyUsage: ["digitalSignature"],
  };
}

async function serve(address: string, spec: ReturnType<typeof leafSpec>): Promise<string> {
  const leaf = buildCertificate(spec);
  const server = createTlsServer({ key: privateKeyPem(spec.key.privateKey), cert: leaf.pem });
  server.on("tlsClientError", () => {});
  server.listen(TLS_PORT, address);
  await once(server, "listening");
  servers.push(server);
  return leaf.pem;
}

async function pkiscope(name: string, args: string[]): Promise<string> {
  const { code, output } = await runToEnd(spawnCli(args));
  expect(code, `${name}: ${output}`).toBe(0);
  printed[name] = output;
  return output;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "pkiscope-hostile-"));
  out = join(dir, "report");
  db = join(dir, "pkiscope.db");
  marker = await startMarkerServer(MARKER_ADDRESS);
  markerHits = marker.hits;
  const markup = markupPayloads(marker.url);

  const rootKey = generateKeyPair({ kind: "ec", curve: "P-256" });
  const root = buildCertificate({
    subject: [["CN", `Root ${markup.titleBreak}`], ["O", markup.javascriptUrl], ["OU", TERMINAL_PAYLOADS.ansi]],
    publicKey: rootKey.publicKey, selfSignKey: rootKey.privateKey,
    notBefore: new Date(Date.now() - DAY_MS), notAfter: new Date(Date.now() + 3650 * DAY_MS), isCA: true, keyUsage: ["keyCertSign", "cRLSign"],
  });
  const issuer = { der: root.der, key: rootKey };
  writeFileSync(join(dir, "roots.pem"), root.pem);
  const markupLeaf = await serve(`${PREFIX}.1`, leafSpec(
    [["CN", markup.script], ["O", markup.image], ["OU", markup.attributeBreak], ["L", markup.quoteBreak], ["ST", markup.remoteImage]],
    [`=HYPERLINK("${markup.javascriptUrl}")`, "x;=cmd|' /C calc'!A0", "<img src=x onerror=alert(1)>.test"], issuer));
  await serve(`${PREFIX}.2`, leafSpec(
    [["CN", TERMINAL_PAYLOADS.ansi], ["O", TERMINAL_PAYLOADS.c1AndBidi], ["OU", TERMINAL_PAYLOADS.forgedLines]],
    ["+SUM(1,1).test", "\u001b[2Jclear.test"], issuer));
  await serve(`${PREFIX}.3`, leafSpec([["CN", "+SUM(1,1)"], ["O", "-2+3"], ["OU", "@SUM(A1)"], ["L", "\tTAB"], ["ST", "\rCR"]], ["-1+1.test", "@evil.test", "\tTAB.test"], issuer));

  // A directory of certificates: one the servers also serve, and a broken link with a hostile name (the scan warns of it).
  const files = join(dir, "files");
  mkdirSync(files);
  writeFileSync(join(files, "copy.pem"), markupLeaf);
  symlinkSync(join(dir, "nowhere.pem"), join(files, `bad${TERMINAL_PAYLOADS.ansi}${TERMINAL_PAYLOADS.forgedLines}.pem`));

  const common = ["--db", db, "--no-fetch", "--no-progress", "--concurrency", "8", "--connect-timeout", "3000", "--handshake-timeout", "10000"];
  // The earlier run sees nothing, so the diff lists every hostile certificate as appeared.
  await pkiscope("scan (empty)", ["scan", "-t", `${PREFIX}.1:${TLS_PORT + 1}`, ...common, "--out", join(dir, "empty")]);
  await pkiscope("scan", ["scan", "-t", `${PREFIX}.1-${PREFIX}.3`, "-p", String(TLS_PORT), "--files", files, "--trust-anchors", join(dir, "roots.pem"),
    "--format", "json,html,csv", "--out", out, ...common]);
  const runIds = JSON.parse(readFileSync(join(out, "report.json"), "utf8")) as { scan: { id: string } };
  const runs = await pkiscope("runs", ["runs", "--db", db]);
  const first = runs.split("\n")[0]!.split(" ")[0]!;
  for (const format of ["text", "md"]) await pkiscope(`diff ${format}`, ["diff", "--db", db, "--from", first, "--to", runIds.scan.id, "--format", format]);
  await pkiscope("maturity", ["maturity", "--db", db]);
  await pkiscope("metrics", ["metrics", "--db", db]);
  const template = await pkiscope("questionnaire", ["questionnaire", "init"]);
  writeFileSync(join(dir, "answers.yaml"), template
    .replace('answer: # yes | partly | no | unknown\n    comment: ""', `answer: yes\n    comment: ${JSON.stringify(`${markup.script}${markup.image}`)}`));
  await pkiscope("assess", ["assess", "--db", db, "--answers", join(dir, "answers.yaml"), "--out", join(dir, "assessment")]);

  writeFileSync(join(dir, "diff.html"), markdownPage(printed["diff md"]!));
  // The harness itself, shown to catch what it is meant to: the same payloads, unescaped.
  writeFileSync(join(dir, "canary.html"), `<!doctype html><meta charset="utf-8"><body>${markup.script}${markup.image}${markup.attributeBreak}</body>`);
}, 240_000);

afterAll(async () => {
  for (const s of servers) s.close();
  marker?.close();
});

interface Report {
  inventory: { certificates: Array<{ subject: string; issuer: string; sans: string[] }> };
}

const report = (): Report => JSON.parse(readFileSync(join(out, "report.json"), "utf8")) as Report;

describe("HTML documents of a scan of hostile certificates, in headless Chromium", () => {
  const pages = (): string[] => [join(out, "report.html"), join(dir, "assessment", "assessment.html"), join(dir, "diff.html")];

  it("the harness sees a payload run when it is not escaped", async () => {
    const browser = await openChromium(true);
    try {
      const canary = await browser.load(pathToFileURL(join(dir, "canary.html")).href);
      expect(canary.calls).toBeGreaterThan(0);
      expect(canary.scripts).toBeGreaterThan(0);
      expect(canary.dangerousAttributes.length).toBeGreaterThan(0);
      expect(markerHits.length).toBeGreaterThan(0);
    } finally {
      await browser.close();
    }
    markerHits.length = 0;
  });

  for (const bypassCsp of [false, true]) {
    it(`runs nothing and shows the hostile text as text (${bypassCsp ? "CSP bypassed: escaping alone" : "as written, CSP honoured"})`, async () => {
      const loaded = await loadPages(pages(), bypassCsp);
      const subjects = report().inventory.certificates.map((c) => c.subject);
      for (const [page, seen] of loaded) {
        expectInert(page, seen);
        expect(seen.text, page).toMatch(/onerror=\\?"pkiscopeInjected\(\)/);
      }
      expect(markerHits).toEqual([]);
      // report.html shows each hostile subject whole, as text.
      const reportText = loaded[0]![1].text;
      for (const subject of subjects.filter((s) => s.includes("<script>") || s.includes("onerror"))) expect(reportText).toContain(subject);
      expect(reportText).toContain("<img src=x onerror=alert(1)>.test");
    });
  }
});

describe("inventory.csv of hostile certificates", () => {
  const csv = (): string => readFileSync(join(out, "inventory.csv"), "utf8");

  itHasNoFormulaCells(csv, 5);

  it("keeps every hostile value, an apostrophe before each formula that could lead a cell in any of those splits", () => {
    const [header, ...records] = parseCsv(csv(), { bom: true }) as string[][];
    const column = (name: string) => records.map((r) => r[header!.indexOf(name)]!);
    expect(column("sans")).toEqual(expect.arrayContaining([
      `DNS:=HYPERLINK("javascript:${INJECTED_FUNCTION}()"); DNS:x;'=cmd|' /C calc'!A0; DNS:<img src=x onerror=alert(1)>.test`,
      "DNS:+SUM(1,1).test; DNS:\u001b[2Jclear.test",
      "DNS:-1+1.test; DNS:@evil.test; DNS:\tTAB.test",
    ]));
    expect(column("subject").sort()).toEqual(report().inventory.certificates.map((c) => c.subject).sort());
  });
});

describe("terminal output of commands over hostile certificates", () => {
  const TERMINAL_COMMANDS = ["scan", "runs", "diff text", "diff md", "maturity", "metrics", "assess"];

  it("holds no control character and no forged line in any command's output", () => {
    for (const name of TERMINAL_COMMANDS) expectPrintable(name, printed[name]!);
  });

  it("still shows the hostile strings, their controls replaced by U+FFFD", () => {
    expect(printed["scan"]).toContain(`bad${INERT_ANSI}line\uFFFDFORGED: a line of its own\uFFFD\uFFFDFORGED-CRLF\uFFFDFORGED-LS.pem`);
    // Subjects are shown as RFC 4514 strings (the semicolon escaped), in Markdown with its punctuation escaped.
    expect(printed["diff text"]).toContain(INERT_ANSI.replace(";", "\\;"));
    expect(printed["metrics"]).toContain("\uFFFD[31mRED\uFFFD[0m");
    expect(printed["diff md"]).toContain("\uFFFD\\[31mRED\uFFFD\\[0m");
    expect(printed["diff text"]).toContain("c1\uFFFD2J bidi\uFFFDevil\uFFFD");
    expect(printed["diff text"]).toContain("OU=line\\0AFORGED: a line of its own\uFFFD\uFFFDFORGED-CRLF\uFFFDFORGED-LS");
    expect(printed["diff text"]).toContain("CN=\\<script\\>");
  });
});

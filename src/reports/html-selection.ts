// What report.html shows of a report. A run of 100,000 certificates made a report.html of over
// 100 MB that no browser opens, so past these caps the page shows findings per rule with counts
// and the worst few, and the first rows of each inventory table with how many more report.json
// (and inventory.csv) hold; those files always have everything. Under the caps everything is
// shown, as it always was. Rows chosen here are the only ones with fragment ids, so the page
// links only to these (see `shows`): evidence naming anything else is shown as text.
import type { EvidenceKind } from "../model/evidence.js";
import { SEVERITIES, type Finding } from "../model/types.js";
import type { Report, ReportCa, ReportCertificate, ReportEndpoint } from "./report-model.js";

/** Up to this many findings the page lists every one; a thousand rows of findings are about 1 MB. */
export const FINDINGS_LISTED_IN_FULL = 1000;
/** Past FINDINGS_LISTED_IN_FULL, the worst this many per rule: with every one of the 40-odd rules firing, about 400 rows, well under 1 MB. */
export const FINDING_EXAMPLES_PER_RULE = 10;
/** Rows of the certificate and endpoint tables: a certificate row is about 1 KB, so about 1 MB each, and a table a reader can still scroll. */
export const INVENTORY_ROWS = 1000;
/** Entries of the smaller tables (the CA tree, CRLs, OCSP responders, unparsable certificates, keys, files): a few hundred KB each at most. */
export const SECONDARY_ROWS = 250;

/** One rule's findings, in the page's per-rule listing. */
export interface RuleFindings {
  ruleId: string;
  /** Its most severe finding's severity. */
  severity: Finding["severity"];
  count: number;
  /** The worst FINDING_EXAMPLES_PER_RULE: severity, then the soonest expiry, then the smallest key. */
  examples: Finding[];
}

type OcspCheck = Report["inventory"]["ocsp"][number];

export interface HtmlSelection {
  /** Null when every finding is listed; else per rule, in the order of their worst finding. */
  findingsByRule: RuleFindings[] | null;
  certificates: ReportCertificate[];
  endpoints: ReportEndpoint[];
  cas: ReportCa[];
  crls: Report["inventory"]["crls"];
  /** OCSP checks of the responders shown (a table row is a responder, or one endpoint's staples). */
  ocsp: OcspCheck[];
  ocspResponders: number;
  unparsable: Report["inventory"]["unparsable"];
  privateKeys: Report["inventory"]["privateKeys"];
  files: Report["inventory"]["files"];
  /** Whether the page has a row for the object; AD CS templates and CAs are always shown (a directory read is bounded already). */
  shows(kind: EvidenceKind, id: string): boolean;
}

/** The responder an OCSP check is grouped under in the page. */
export function ocspResponderOf(o: OcspCheck): string {
  return o.url ?? `stapled by ${o.endpoint ?? "?"}`;
}

export function htmlSelection(report: Report): HtmlSelection {
  const { inventory } = report;
  const certificateById = new Map(inventory.certificates.map((c) => [c.sha256, c]));
  const findingsByRule = report.findings.length > FINDINGS_LISTED_IN_FULL ? ruleGroups(report.findings, certificateById) : null;
  const listedFindings = findingsByRule ? findingsByRule.flatMap((g) => g.examples) : report.findings;
  const cas = caSelection(inventory.cas);
  // Rows others link to come first: the CA tree's CAs and the certificates and endpoints of the findings shown.
  const certificates = firstRows(inventory.certificates, (c) => c.sha256, INVENTORY_ROWS, [
    ...cas.map((ca) => ca.sha256), ...listedFindings.flatMap((f) => (f.certificate === null ? [] : [f.certificate])),
  ]);
  const endpoints = firstRows(inventory.endpoints, (e) => e.id, INVENTORY_ROWS, listedFindings.flatMap((f) => f.endpoints));
  const crls = inventory.crls.slice(0, SECONDARY_ROWS);
  const responders = new Set(inventory.ocsp.map(ocspResponderOf));
  const shownResponders = new Set([...responders].slice(0, SECONDARY_ROWS));
  const ocsp = inventory.ocsp.filter((o) => shownResponders.has(ocspResponderOf(o)));

  const ids: Partial<Record<EvidenceKind, Set<string>>> = {
    certificate: new Set(certificates.map((c) => c.sha256)),
    endpoint: new Set(endpoints.map((e) => e.id)),
    finding: new Set(listedFindings.map((f) => f.id)),
    crl: new Set(crls.map((c) => c.url)),
    "ocsp-responder": new Set(ocsp.flatMap((o) => (o.url === null ? [] : [o.url]))),
  };
  return {
    findingsByRule, certificates, endpoints, cas, crls, ocsp, ocspResponders: responders.size,
    unparsable: inventory.unparsable.slice(0, SECONDARY_ROWS),
    privateKeys: inventory.privateKeys.slice(0, SECONDARY_ROWS),
    files: inventory.files.slice(0, SECONDARY_ROWS),
    shows: (kind, id) => ids[kind]?.has(id) ?? true,
  };
}

/** Rules in the order of their worst finding (the report's order: severity, then rule), each with its worst examples. */
function ruleGroups(findings: readonly Finding[], certificates: ReadonlyMap<string, ReportCertificate>): RuleFindings[] {
  const byRule = new Map<string, Finding[]>();
  for (const f of findings) {
    const list = byRule.get(f.ruleId);
    if (list) list.push(f);
    else byRule.set(f.ruleId, [f]);
  }
  const rank = (f: Finding): number => SEVERITIES.indexOf(f.severity);
  // A finding without a certificate (a CRL, an endpoint) sorts after those expiring, as if never.
  const expiry = (f: Finding): string => (f.certificate === null ? undefined : certificates.get(f.certificate)?.notAfter) ?? "~";
  const keySize = (f: Finding): number => (f.certificate === null ? undefined : certificates.get(f.certificate)?.keySize) ?? Infinity;
  const worst = (a: Finding, b: Finding): number =>
    rank(a) - rank(b) || expiry(a).localeCompare(expiry(b)) || keySize(a) - keySize(b) || a.id.localeCompare(b.id);
  const groups = [...byRule.entries()].map(([ruleId, list]) => {
    const examples = [...list].sort(worst).slice(0, FINDING_EXAMPLES_PER_RULE);
    return { ruleId, severity: examples[0]!.severity, count: list.length, examples };
  });
  return groups.sort((a, b) => SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity) || a.ruleId.localeCompare(b.ruleId));
}

/** Up to `cap` rows in their report order, those named in `wanted` first (as far as the cap allows). */
function firstRows<T>(rows: readonly T[], idOf: (row: T) => string, cap: number, wanted: readonly string[]): T[] {
  if (rows.length <= cap) return [...rows];
  const chosen = new Set<string>();
  const present = new Set(rows.map(idOf));
  for (const id of wanted) {
    if (chosen.size >= cap) break;
    if (present.has(id)) chosen.add(id);
  }
  for (const row of rows) {
    if (chosen.size >= cap) break;
    chosen.add(idOf(row));
  }
  return rows.filter((row) => chosen.has(idOf(row)));
}

/** Up to SECONDARY_ROWS CAs, each with the CAs above it, so a CA shown is never cut from its parent by the cap. */
function caSelection(cas: readonly ReportCa[]): ReportCa[] {
  if (cas.length <= SECONDARY_ROWS) return [...cas];
  const byId = new Map(cas.map((ca) => [ca.sha256, ca]));
  const chosen = new Set<string>();
  for (const ca of cas) {
    const line: string[] = [];
    for (let c: ReportCa | undefined = ca; c && line.length <= SECONDARY_ROWS && !chosen.has(c.sha256) && !line.includes(c.sha256); c = c.parent === null ? undefined : byId.get(c.parent)) {
      line.push(c.sha256);
    }
    if (chosen.size + line.length > SECONDARY_ROWS) break;
    for (const id of line) chosen.add(id);
  }
  return cas.filter((ca) => chosen.has(ca.sha256));
}

// The certificate inventory as CSV (RFC 4180), one row per parsed certificate, for
// spreadsheets and asset databases. Subjects, SANs and file paths are attacker-controlled, and
// spreadsheets execute cells that look like formulas, so every field is defused first.
import type { Report, ReportCertificate } from "./report-model.js";

const COLUMNS = [
  "sha256", "subject", "issuer", "serialNumber", "notBefore", "notAfter", "keyAlgorithm", "keySize",
  "curve", "signatureAlgorithm", "sans", "isCA", "sanctioned", "endpoints", "files", "sources", "findings",
] as const;

type Column = (typeof COLUMNS)[number];

/** Several values in one cell; "; " because a comma would force quoting of most cells. */
const LIST_SEPARATOR = "; ";

export function renderInventoryCsv(report: Report): string {
  const ruleIds = ruleIdsByCertificate(report);
  const rows = report.inventory.certificates.map((c) => {
    const values = certificateRow(c, ruleIds.get(c.sha256) ?? []);
    return COLUMNS.map((column) => values[column]);
  });
  return [[...COLUMNS], ...rows].map((fields) => `${fields.map(csvField).join(",")}\r\n`).join("");
}

function certificateRow(c: ReportCertificate, ruleIds: readonly string[]): Record<Column, string> {
  return {
    sha256: c.sha256,
    subject: c.subject,
    issuer: c.issuer,
    serialNumber: c.serialNumber,
    notBefore: c.notBefore,
    notAfter: c.notAfter,
    keyAlgorithm: c.keyAlgorithm,
    keySize: c.keySize === null ? "" : String(c.keySize),
    curve: c.curve ?? "",
    signatureAlgorithm: c.signatureAlgorithm,
    sans: c.sans.join(LIST_SEPARATOR),
    isCA: String(c.isCA),
    sanctioned: String(c.trustedPath !== null),
    endpoints: c.endpoints.join(LIST_SEPARATOR),
    files: c.files.join(LIST_SEPARATOR),
    sources: c.sources.join(LIST_SEPARATOR),
    findings: ruleIds.join(LIST_SEPARATOR),
  };
}

/** Distinct rule ids per certificate, most severe first (findings arrive sorted by severity). */
function ruleIdsByCertificate(report: Report): Map<string, string[]> {
  const byCertificate = new Map<string, Set<string>>();
  for (const f of report.findings) {
    if (f.certificate === null) continue;
    let ids = byCertificate.get(f.certificate);
    if (!ids) byCertificate.set(f.certificate, (ids = new Set()));
    ids.add(f.ruleId);
  }
  return new Map([...byCertificate].map(([sha256, ids]) => [sha256, [...ids]]));
}

/**
 * A formula's first character (OWASP "CSV injection") where a cell could begin: at the start of
 * the field, and after a semicolon, tab or line break, where a spreadsheet that splits on those
 * (semicolons in many locales, tabs when pasted) and reads quotes only at a cell's start would
 * begin one, e.g. in the SAN `x;=cmd|...`.
 */
const FORMULA_AT_CELL_START = /(^|[;\t\r\n])(?=[=+\-@\t\r])/g;

/** One field: a leading apostrophe on each such formula, then RFC 4180 quoting when the field holds a separator, quote or line break. */
function csvField(value: string): string {
  const defused = value.replace(FORMULA_AT_CELL_START, "$1'");
  return /[",;\t\r\n]/.test(defused) ? `"${defused.replace(/"/g, '""')}"` : defused;
}

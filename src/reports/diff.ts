// Renders a RunDiff as text (a terminal), JSON (the RunDiff as is) or Markdown (a ticket or a
// change log). Text and Markdown share one list of sections and differ only in headings and in
// how hostile strings (certificate subjects, messages) are made safe.
import type { DiffMaturityChange, RunDiff, SeenSpan } from "../model/diff.js";
import { printable, printableJson } from "../printable.js";
import { mdEscape } from "./assessment.js";
import { CATEGORY_NAMES } from "./maturity-html.js";

export const DIFF_FORMATS = ["text", "json", "md"] as const;
export type DiffFormat = (typeof DIFF_FORMATS)[number];

interface Section {
  title: string;
  lines: string[];
}

export function renderDiff(diff: RunDiff, format: DiffFormat): string {
  if (format === "json") return `${printableJson(JSON.stringify(diff, null, 2))}\n`;
  const safe = format === "md" ? mdEscape : printable;
  const runLine = (which: string, r: RunDiff["from"]) =>
    `${which} ${r.id} started ${r.startedAt}${r.profile === null ? "" : ` profile ${safe(r.profile)}`} targets ${safe(r.targets.join(","))}`;
  const body = sections(diff, safe);
  if (format === "md") {
    const md = [`# pkiscope diff`, "", `- ${runLine("from", diff.from)}`, `- ${runLine("to", diff.to)}`];
    for (const s of body) md.push("", `## ${s.title} (${s.lines.length})`, "", ...(s.lines.length > 0 ? s.lines.map((l) => `- ${l}`) : ["none"]));
    return `${md.join("\n")}\n`;
  }
  const text = [runLine("from", diff.from), runLine("to  ", diff.to)];
  for (const s of body) text.push("", `${s.title} (${s.lines.length})`, ...s.lines.map((l) => `  ${l}`));
  return `${text.join("\n")}\n`;
}

function sections(diff: RunDiff, safe: (text: string) => string): Section[] {
  const seen = (s: SeenSpan) => `first seen ${s.firstSeen ?? "never in a complete run"}, last seen ${s.lastSeen ?? "never in a complete run"}`;
  const subject = (text: string | null) => (text === null ? "(unparsed)" : safe(text));
  const certificate = (c: RunDiff["certificates"]["appeared"][number]) =>
    `${subject(c.subject)} ${c.sha256} expires ${c.notAfter ?? "?"}${c.endpoints.length > 0 ? ` on ${safe(c.endpoints.join(", "))}` : ""}; ${seen(c)}`;
  const ca = (c: RunDiff["cas"]["appeared"][number]) => `${safe(c.subject)} key ${c.spkiSha256} (${c.certificates.join(", ")}); ${seen(c)}`;
  const endpoint = (e: RunDiff["endpoints"]["appeared"][number]) => `${safe(e.id)} leaf ${e.leaf}; ${seen(e)}`;
  const finding = (f: RunDiff["findings"]["opened"][number]) => `${f.id} ${f.severity} ${f.ruleId}: ${safe(f.message)}`;
  return [
    { title: "Certificates appeared", lines: diff.certificates.appeared.map(certificate) },
    { title: "Certificates vanished", lines: diff.certificates.vanished.map(certificate) },
    {
      title: "Renewals",
      lines: diff.renewals.map((r) => `${safe(r.endpoint)}: ${r.previous} -> ${r.current} (${subject(r.subject)}), ${
        r.leadDays >= 0 ? `${r.leadDays} days before` : `${-r.leadDays} days after`} the old one expired (${r.previousNotAfter})`),
    },
    {
      title: "Expired in service",
      lines: diff.expiredInService.map((e) => `${safe(e.endpoint)}: ${subject(e.subject)} ${e.certificate} expired ${e.notAfter}, served at ${e.observedAt}`),
    },
    { title: "CAs new", lines: diff.cas.appeared.map(ca) },
    { title: "CAs vanished", lines: diff.cas.vanished.map(ca) },
    { title: "Endpoints new", lines: diff.endpoints.appeared.map(endpoint) },
    { title: "Endpoints vanished", lines: diff.endpoints.vanished.map(endpoint) },
    { title: "Findings opened", lines: diff.findings.opened.map(finding) },
    { title: "Findings resolved", lines: diff.findings.resolved.map(finding) },
    { title: "Maturity", lines: diff.maturity.map(maturityLine) },
  ];
}

function maturityLine(m: DiffMaturityChange): string {
  const name = m.category === "overall" ? "Overall" : CATEGORY_NAMES[m.category];
  const level = (l: number | null) => (l === null ? "not assessed" : String(l));
  const change = m.from === m.to ? "unchanged" : m.from !== null && m.to !== null ? (m.to > m.from ? "up" : "down") : "changed";
  return `${name}: ${level(m.from)} -> ${level(m.to)} (${change})`;
}

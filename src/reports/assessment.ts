// The documents of `pkiscope assess`: assessment.json (the Assessment as is), assessment.md (for
// a ticket or a wiki) and assessment.html (self-contained, no script, everything escaped: answers
// and comments are free text, evidence labels come from certificates and servers). Each shows,
// for every question, the answer given, what the scan found and the verdict, then the maturity
// levels with the answers settling what evidence could not.
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Assessment, CheckResult, QuestionVerdict, Verdict } from "../model/assessment.js";
import type { EvidenceRef } from "../model/evidence.js";
import { MATURITY_CATEGORIES } from "../model/maturity.js";
import { printable } from "../printable.js";
import { htmlDocument } from "./document.js";
import { html, type SafeHtml } from "./escape.js";
import { PKIC_STYLE, pkicSection } from "./pkic-html.js";
import { CATEGORY_NAMES, type EvidenceLinks, MATURITY_STYLE, maturityPicture } from "./maturity-html.js";

const VERDICT_TEXT: Readonly<Record<Verdict, string>> = {
  supported: "supported by the evidence",
  contradicted: "contradicted by the evidence",
  "no-evidence": "no evidence either way",
};
/** Evidence lists name this many objects per check; the JSON has them all. */
const EVIDENCE_SHOWN = 5;

/** Labels from the assessment; assessment.html has no inventory rows, so nothing links. */
function assessmentLinks(a: Assessment): EvidenceLinks {
  return { href: () => null, label: (ref) => a.labels[`${ref.kind} ${ref.id}`] ?? ref.id };
}

function cited(ref: EvidenceRef, links: EvidenceLinks): string {
  return `${links.label(ref)}${ref.run ? ` (run ${ref.run.slice(0, 8)})` : ""}`;
}

function checkLine(c: CheckResult): string {
  const values = Object.entries(c.values).map(([k, v]) => `${k} = ${v === null ? "not observed" : Math.round(v * 1000) / 1000}`).join(", ");
  const state = c.holds === null ? `not observed: ${c.notObserved ?? "no evidence"}` : c.holds ? "holds" : `fails: ${c.finding ?? ""}`;
  return `${c.what} — ${state}${values ? ` (${values})` : ""}`;
}

// ---- markdown ----

/** Markdown-escapes text (attacker-influenced strings in tables and lists); shared with the diff. */
/** Markdown's punctuation escaped, and line breaks and other controls (which end a list item or reach a terminal) made inert. */
export const mdEscape = (text: string): string => printable(text.replace(/\r?\n/g, " ")).replace(/([\\`*_[\]<>|#])/g, "\\$1");

export function renderAssessmentMarkdown(a: Assessment): string {
  const links = assessmentLinks(a);
  const out: string[] = [
    `# PKI maturity self-assessment`,
    "",
    `Questionnaire: ${mdEscape(a.questionnaire.name)} ${mdEscape(a.questionnaire.version)}. Runs: ${a.runs.map((r) => `${r.id} (${r.startedAt})`).join(", ")}.`,
    "",
    `Verdicts: ${a.summary.supported} supported, ${a.summary.contradicted} contradicted, ${a.summary["no-evidence"]} without evidence (${a.summary.unanswered} unanswered).`,
    "",
    "## Maturity (answers settle only what evidence could not)",
    "",
    "| category | level | range | confidence | self-declared criteria |",
    "|---|---|---|---|---|",
    ...MATURITY_CATEGORIES.map((id) => {
      const c = a.maturity.categories[id];
      const level = c.level === null ? "not assessed" : `${c.level} ${c.label ?? ""}`;
      const declared = c.criteria.filter((k) => k.selfDeclared).map((k) => `${k.id} (${k.selfDeclared!.answer})`).join(", ") || "none";
      return `| ${CATEGORY_NAMES[id]} | ${level} | ${c.bounds.min}–${c.bounds.max} | ${Math.round(c.confidence * 100)}% | ${mdEscape(declared)} |`;
    }),
  ];
  for (const id of MATURITY_CATEGORIES) {
    out.push("", `## ${CATEGORY_NAMES[id]}`);
    for (const q of a.questions.filter((x) => x.category === id)) {
      out.push("", `### ${q.id}: ${VERDICT_TEXT[q.verdict]}`, "", `> ${mdEscape(q.text)}`, "",
        `- Answer: **${q.answer ?? "not answered"}**${q.comment ? ` — ${mdEscape(q.comment)}` : ""}`,
        `- A yes claims: ${mdEscape(q.claim)}`,
        `- ${mdEscape(q.explanation)}`);
      for (const c of q.checks) {
        out.push(`  - ${mdEscape(checkLine(c))}`);
        for (const ref of c.evidence.slice(0, EVIDENCE_SHOWN)) out.push(`    - ${ref.kind}: ${mdEscape(cited(ref, links))}`);
        if (c.evidence.length > EVIDENCE_SHOWN) out.push(`    - and ${c.evidence.length - EVIDENCE_SHOWN} more (assessment.json lists them)`);
      }
    }
  }
  return `${out.join("\n")}\n`;
}

// ---- HTML ----

const STYLE = html`<style>
:root { color-scheme: light; --border: #d0d7de; --muted: #57606a; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1f2328; margin: 0 auto; padding: 1.5rem; max-width: 1200px; }
h2 { border-bottom: 2px solid var(--border); padding-bottom: .25rem; margin-top: 2rem; }
.question { border: 1px solid var(--border); border-radius: 6px; padding: .5rem 1rem; margin: .75rem 0; }
.question blockquote { margin: .25rem 0; color: var(--muted); }
.verdict { display: inline-block; padding: .05rem .6rem; border-radius: 999px; border: 2px solid; font-size: .85rem; }
.verdict-supported { border-color: #1a7f37; color: #1a7f37; }
.verdict-contradicted { border-color: #cf222e; color: #cf222e; font-weight: 700; }
.verdict-no-evidence { border-color: #57606a; color: #57606a; border-style: dashed; }
.note { color: var(--muted); }
${MATURITY_STYLE}
${PKIC_STYLE}
</style>`;

function questionBlock(q: QuestionVerdict, links: EvidenceLinks): SafeHtml {
  return html`<article class="question" id="q-${q.id}">
<h3><code>${q.id}</code> <span class="verdict verdict-${q.verdict}">${VERDICT_TEXT[q.verdict]}</span></h3>
<blockquote>${q.text}</blockquote>
<p>Answer: <strong>${q.answer ?? "not answered"}</strong>${q.comment ? html` — <em>${q.comment}</em>` : ""}. <span class="note">A yes claims: ${q.claim}</span></p>
<p>${q.explanation}</p>
${q.checks.length > 0 && html`<ul>${q.checks.map((c) => html`<li>${checkLine(c)}${c.evidence.length > 0 && html`<br><span class="note">${
  c.evidence.slice(0, EVIDENCE_SHOWN).map((ref) => cited(ref, links)).join(" · ")}${c.evidence.length > EVIDENCE_SHOWN ? ` · and ${c.evidence.length - EVIDENCE_SHOWN} more` : ""}</span>`}</li>`)}</ul>`}
${q.settles.length > 0 && html`<p class="note">An answer not contradicted settles: ${q.settles.join(", ")} (where the scan could not assess them).</p>`}
</article>`;
}

export function renderAssessmentHtml(a: Assessment): string {
  const links = assessmentLinks(a);
  return htmlDocument("pkiscope self-assessment", STYLE, html`<h1>PKI maturity self-assessment</h1>
<p>${a.questionnaire.name} ${a.questionnaire.version}, held against the evidence of ${String(a.runs.length)} run(s):
${a.runs.map((r) => html`<code>${r.id}</code> (${r.startedAt}, ${r.targets.join(", ")}) `)}</p>
<p><strong>${String(a.summary.contradicted)}</strong> answer(s) contradicted by the evidence, ${String(a.summary.supported)} supported,
${String(a.summary["no-evidence"])} without evidence either way (${String(a.summary.unanswered)} unanswered).</p>
<section id="maturity"><h2>Maturity, with the answers</h2>
<p class="note">Answers settle only criteria the scan could not assess, and only when the evidence does not contradict them; such criteria are marked self-declared.</p>
${maturityPicture(a.maturity, links)}
</section>
${a.pkic && html`<section id="pkic"><h2>PKI Consortium model (suggested ratings)</h2>
${pkicSection(a.pkic, links)}
</section>`}
${MATURITY_CATEGORIES.map((id) => html`<section id="questions-${id}"><h2>${CATEGORY_NAMES[id]}</h2>
${a.questions.filter((q) => q.category === id).map((q) => questionBlock(q, links))}
</section>`)}
<footer class="note">Generated by pkiscope at ${a.generatedAt} · questionnaire sha256 ${a.questionnaire.sha256}${a.answers ? ` · answers ${a.answers.path} sha256 ${a.answers.sha256}` : ""}</footer>`);
}

/** Writes assessment.json, assessment.html and assessment.md; returns the paths. */
export async function writeAssessment(a: Assessment, dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const files: [string, string][] = [
    ["assessment.json", `${JSON.stringify(a, null, 2)}\n`],
    ["assessment.html", renderAssessmentHtml(a)],
    ["assessment.md", renderAssessmentMarkdown(a)],
  ];
  for (const [name, text] of files) await writeFile(join(dir, name), text);
  return files.map(([name]) => join(dir, name));
}

// The maturity picture: a chart of the six categories of the Keyfactor model and, per category,
// why this level and why not higher, written for the PKI owner's manager as much as for the
// engineer, with every piece of evidence linked to its row. A pure function of the score and of
// `EvidenceLinks` (where each object has a row, and what to call it), so that every document
// (report.html, assessment.html) draws the same picture. No script (the reports' CSP forbids it),
// and colours come as SVG presentation attributes, so the chart needs no stylesheet to be read.
import type { EvidenceRef } from "../model/evidence.js";
import {
  type CategoryScore, LEVEL_LABELS, MATURITY_CATEGORIES, type MaturityCategory, type MaturityScore, type ScoredCriterion,
} from "../model/maturity.js";
import { html, type SafeHtml } from "./escape.js";
import { INK, svgImage } from "./svg.js";

/** Where the objects a score cites are shown: every renderer that draws the picture supplies one. */
export interface EvidenceLinks {
  /** The link to the object's row (e.g. "#cert-…"), or null when this document has no row for it. */
  href(ref: EvidenceRef): string | null;
  /** What to call the object: a subject, an endpoint, a URL, a rule and its message. */
  label(ref: EvidenceRef): string;
}

export const CATEGORY_NAMES: Readonly<Record<MaturityCategory, string>> = {
  reliability: "Reliability",
  efficiency: "Efficiency",
  security: "Security",
  governance: "Policy & Governance",
  agility: "Agility",
  strategy: "Strategy",
};

/** Each level in the model's own words (its one-line summaries), for readers who do not know the model. */
const LEVEL_SUMMARIES = [
  "DIY PKI and CA tools • No clear ownership • High risk of compromise",
  "Bare minimum PKI • Minimal policy & security • Shadow IT",
  "Dedicated ownership • Well-documented policy • Lack of interoperability",
  "Delegated ownership • Automation & self-service • High level of adoption",
  "Proactive planning • Agility and modernization • Minimal risk of compromise",
] as const;

const TOP_LEVEL = LEVEL_LABELS.length - 1;
/** Evidence lists show this many objects; the rest fold away behind their count. */
const EVIDENCE_PREVIEW = 5;
/**
 * Objects an evidence list names at most, folded ones included: a criterion can count every
 * certificate of a run, and 100,000 named objects would be megabytes of one list. report.json
 * (and, for a cap, the findings section) has them all.
 */
const EVIDENCE_LISTED = 100;

export function maturityPicture(score: MaturityScore, links: EvidenceLinks): SafeHtml {
  const { overall } = score;
  const overallText = overall.level === null ? "not assessed" : levelName(overall.level, overall.label);
  return html`<div class="maturity">
<p class="maturity-overall">Overall maturity: <strong>${overallText}</strong> (${overall.basis}).</p>
<p>Each bar is the level, from 0 (${LEVEL_LABELS[0]}) to ${TOP_LEVEL} (${LEVEL_LABELS[TOP_LEVEL]}), that the scan's evidence supports
in one category of the Keyfactor PKI maturity model. A level is claimed only where evidence passed its criteria. The dashed band is the
range the level could take once what the scan could not see is known (answers, history, more scanning); a category with nothing
observable is not assessed rather than guessed. Rubric: ${score.rubric.name}, version ${score.rubric.version}.</p>
${chart(score)}
${legend()}
<div class="maturity-categories">
${MATURITY_CATEGORIES.map((id) => categoryBlock(id, score.categories[id], links))}
</div>
</div>`;
}

/** Classes the picture's text blocks use; a document drawing the picture puts this in its <style>. */
export const MATURITY_STYLE = html`
.maturity-overall { font-size: 1.15rem; }
.maturity-chart { display: block; max-width: 100%; height: auto; margin: .5rem 0; }
.maturity-legend { display: grid; grid-template-columns: max-content 1fr; gap: .1rem 1rem; margin: .5rem 0 1rem; color: var(--muted, #57606a); }
.maturity-legend dt { font-weight: 600; }
.maturity-legend dd { margin: 0; }
.maturity-categories { display: grid; grid-template-columns: repeat(auto-fit, minmax(30rem, 1fr)); gap: 1rem; }
.maturity-category { border: 1px solid var(--border, #d0d7de); border-radius: 6px; padding: .5rem 1rem; break-inside: avoid; }
.maturity-category:target { outline: 3px solid #d4a72c; }
.maturity-category h3 { margin-top: .25rem; }
.maturity-category h4 { margin: .75rem 0 .25rem; }
.maturity-category ul, .maturity-category ol { margin: .25rem 0; padding-left: 1.25rem; }
.maturity-category li { margin: .3rem 0; }
.level-badge { display: inline-block; padding: .05rem .6rem; border-radius: 999px; border: 2px solid #1f4e8c; font-size: .9rem; }
.criterion-level { font-weight: 600; }
.criterion-quote { font-style: italic; }
.criterion-detail { color: var(--muted, #57606a); }
`;

// Chart geometry: one column per level, one row per category; the level bar fills the columns
// from 0 through the level, the range band spans the columns from bounds.min through bounds.max.
const CHART = { width: 800, nameWidth: 170, columnWidth: 104, axisHeight: 44, rowHeight: 38, barHeight: 18, textGap: 12 } as const;
const PLOT_LEFT = CHART.nameWidth;
const PLOT_RIGHT = PLOT_LEFT + CHART.columnWidth * LEVEL_LABELS.length;
// The bar is dark on a pale band (INK), and the band is dashed besides.

function chart(score: MaturityScore): SafeHtml {
  const height = CHART.axisHeight + CHART.rowHeight * MATURITY_CATEGORIES.length + 8;
  const summary = MATURITY_CATEGORIES.map((id) => `${CATEGORY_NAMES[id]}: ${categoryOneLine(score.categories[id])}`).join("; ");
  const columnX = (level: number): number => PLOT_LEFT + level * CHART.columnWidth;
  const axis = LEVEL_LABELS.map((label, level) => html`<text x="${columnX(level) + CHART.columnWidth / 2}" y="18" text-anchor="middle" font-weight="600">${level}</text>
<text x="${columnX(level) + CHART.columnWidth / 2}" y="34" text-anchor="middle" font-size="12" fill="${INK.muted}">${label}</text>`);
  const grid = LEVEL_LABELS.map((_, level) => columnX(level)).concat(PLOT_RIGHT).map((x) =>
    html`<line class="grid" x1="${x}" y1="${CHART.axisHeight - 4}" x2="${x}" y2="${height - 4}" stroke="${INK.grid}" stroke-width="1"/>`);
  const rows = MATURITY_CATEGORIES.map((id, i) => chartRow(id, score.categories[id], CHART.axisHeight + i * CHART.rowHeight, columnX));
  return svgImage({
    className: "maturity-chart", width: CHART.width, height, label: `PKI maturity by category. ${summary}.`,
    title: "PKI maturity by category: level and range of each",
  }, html`${axis}
${grid}
${rows}`);
}

function chartRow(id: MaturityCategory, c: CategoryScore, top: number, columnX: (level: number) => number): SafeHtml {
  const middle = top + CHART.rowHeight / 2;
  const band = { x: columnX(c.bounds.min), width: (c.bounds.max - c.bounds.min + 1) * CHART.columnWidth };
  const bar = c.level === null ? null : { width: (c.level + 1) * CHART.columnWidth };
  return html`<a href="#maturity-${id}">
<g class="category" data-category="${id}" data-level="${c.level ?? "none"}" data-min="${c.bounds.min}" data-max="${c.bounds.max}">
<title>${CATEGORY_NAMES[id]}: ${categoryOneLine(c)}</title>
<text x="${PLOT_LEFT - CHART.textGap}" y="${middle + 4}" text-anchor="end" font-weight="600">${CATEGORY_NAMES[id]}</text>
<rect class="range" x="${band.x}" y="${top + 4}" width="${band.width}" height="${CHART.rowHeight - 8}" fill="${INK.band}" stroke="${INK.bar}" stroke-width="1.5" stroke-dasharray="5 3"/>
<text x="${PLOT_RIGHT + CHART.textGap}" y="${middle + 4}" fill="${INK.muted}">range ${span(c)}</text>
${bar
    ? html`<rect class="level" x="${PLOT_LEFT}" y="${middle - CHART.barHeight / 2}" width="${bar.width}" height="${CHART.barHeight}" fill="${INK.bar}"/>
<text x="${PLOT_LEFT + bar.width - 6}" y="${middle + 4}" text-anchor="end" fill="#ffffff" font-weight="600">${levelName(c.level!, c.label)}</text>`
    : html`<text x="${band.x + band.width / 2}" y="${middle + 4}" text-anchor="middle" fill="${INK.muted}" font-style="italic">not assessed</text>`}
</g>
</a>`;
}

function legend(): SafeHtml {
  return html`<dl class="maturity-legend">${LEVEL_LABELS.map((label, level) => html`<dt>${level} ${label}</dt><dd>${LEVEL_SUMMARIES[level]}</dd>`)}</dl>`;
}

/** "level 1 Limited, range 0–1" or "not assessed, range 0–4": the chart's text for one category. */
function categoryOneLine(c: CategoryScore): string {
  return c.level === null ? `not assessed, range ${span(c)}` : `level ${levelName(c.level, c.label)}, range ${span(c)}`;
}

/** The levels a category could take: "0–1", or "1" when what was not assessed cannot move it. */
function span({ bounds: { min, max } }: CategoryScore): string {
  return min === max ? String(min) : `${min}–${max}`;
}

function levelName(level: number, label: string | null): string {
  return `${level} ${label ?? LEVEL_LABELS[level] ?? ""}`.trim();
}

/** One category in plain words: its level, why it is that level, why it is not higher, what to do next. */
function categoryBlock(id: MaturityCategory, c: CategoryScore, links: EvidenceLinks): SafeHtml {
  const assessed = c.criteria.filter((k) => k.status !== "not-assessed").length;
  const level = c.level;
  const passed = c.criteria.filter((k) => k.status === "passed");
  const supporting = level === null ? [] : passed.filter((k) => k.level <= level);
  const beyond = level === null ? passed : passed.filter((k) => k.level > level);
  const failed = c.criteria.filter((k) => k.status === "failed");
  const open = c.criteria.filter((k) => k.status === "not-assessed");
  // An unassessed criterion at or below the level could still lower it (that is bounds.min).
  const couldLower = level === null ? [] : open.filter((k) => k.level <= level);
  const couldRaise = open.filter((k) => !couldLower.includes(k));
  const binding = c.caps.filter((cap) => cap.level === level);
  const badge = level === null ? "not assessed" : `Level ${levelName(level, c.label)}`;

  const why = level === null
    ? html`<p>Nothing this scan observed bears on ${CATEGORY_NAMES[id]}: no criterion could be assessed, so no level is claimed.</p>`
    : html`${supporting.length + couldLower.length > 0
      ? html`<ul>${supporting.map((k) => criterionItem(k, links, null))}${couldLower.map((k) => criterionItem(k, links, "not assessed, and would lower the level if it failed"))}</ul>`
      : null}${binding.length > 0
      ? html`<p>A cap holds it at level ${level} at most, whatever the criteria above it show: see why not higher.</p>`
      : level === 0 && html`<p>Level 0 (${LEVEL_LABELS[0]}) is where a category stays until level 1 is reached: a criterion of level 1 passed and none failed.</p>`}`;
  const notHigher = level === TOP_LEVEL
    ? html`<p>Level ${TOP_LEVEL} is the highest level of the model.</p>`
    : html`<ul>${c.caps.map((cap) => html`<li><span class="criterion-level">Capped at level ${cap.level}:</span> ${cap.reason}${
      cap.findings.length > 0 && html`<div class="criterion-detail">Findings (${cap.findingCount ?? cap.findings.length}): ${evidenceList(cap.findings.map((f) => ({ kind: "finding", id: f })), links)}</div>`}${
      (cap.evidence?.length ?? 0) > 0 && html`<div class="criterion-detail">Evidence: ${evidenceList(cap.evidence!, links)}</div>`}</li>`)}${
      failed.map((k) => criterionItem(k, links, "not met"))}${
      couldRaise.map((k) => criterionItem(k, links, "not assessed"))}</ul>`;
  return html`<article class="maturity-category" id="maturity-${id}">
<h3>${CATEGORY_NAMES[id]} <span class="level-badge">${badge}</span></h3>
<p class="note">Range ${span(c)} · confidence ${Math.round(c.confidence * 100)}%: ${assessed} of ${c.criteria.length} criteria could be assessed from this scan.</p>
<h4>Why this level</h4>
${why}
<h4>Why not higher</h4>
${notHigher}
${beyond.length > 0 && html`<h4>Already in place at higher levels</h4><ul>${beyond.map((k) => criterionItem(k, links, null))}</ul>`}
${c.nextSteps.length > 0 && html`<h4>Next steps</h4><ol>${c.nextSteps.map((step) => html`<li>${step}</li>`)}</ol>`}
${c.guidance && html`<h4>The model's guidance for moving past level ${c.guidance.from}: ${c.guidance.heading}</h4><ul class="model-guidance">${c.guidance.steps.map((step) => html`<li>${step}</li>`)}</ul>`}
</article>`;
}

/**
 * A criterion: its level (with the verdict when it holds the level down), the model's sentence,
 * what was measured and the evidence cited; for a criterion not assessed, what would settle it.
 */
function criterionItem(k: ScoredCriterion, links: EvidenceLinks, verdict: string | null): SafeHtml {
  const measured = Object.entries(k.metrics).filter((entry): entry is [string, number] => entry[1] !== null);
  return html`<li><span class="criterion-level">Level ${k.level}${verdict && ` ${verdict}`}:</span> <span class="criterion-quote">“${k.text}”</span> <code class="note">${k.id}</code>${
    measured.length > 0 && html`<div class="criterion-detail">Measured: ${measured.map(([metric, value], i) => html`${i > 0 && ", "}<code>${metric}</code> ${metricValue(metric, value)}`)}</div>`}${
    k.evidence.length > 0 && html`<div class="criterion-detail">Counted: ${evidenceList(k.evidence, links)}</div>`}${
    k.status === "not-assessed" && html`<div class="criterion-detail">To settle it: ${k.notAssessed ?? "no metric is computed for this criterion"}</div>`}</li>`;
}

/** Metric ids say what they measure: "-share" is 0–1, "-days" a number of days, anything else a count. */
export function metricValue(metric: string, value: number): string {
  if (metric.endsWith("-share")) return percent(value);
  if (metric.endsWith("-days")) return `${value} days`;
  return String(value);
}

/** A share 0–1 as a percentage, never rounded onto 0% or 100%: a criterion may turn on "none" or "all". */
export function percent(share: number): string {
  if (share > 0 && share < 0.01) return "under 1%";
  if (share < 1 && share > 0.99) return "over 99%";
  return `${Math.round(share * 100)}%`;
}

/** The first objects linked (or named, when this document has no row for them), the rest folded behind their count. */
export function evidenceList(refs: readonly EvidenceRef[], links: EvidenceLinks): SafeHtml {
  const item = (ref: EvidenceRef, i: number): SafeHtml => {
    const href = links.href(ref);
    const label = links.label(ref);
    const title = `${ref.kind} ${ref.id}${ref.run ? ` (run ${ref.run})` : ""}`;
    // Subjects and messages hold commas, so a comma cannot separate them.
    return html`${i > 0 && " · "}${href !== null ? html`<a href="${href}" title="${title}">${label}</a>` : html`<span title="${title}">${label}</span>`}`;
  };
  const rest = refs.slice(EVIDENCE_PREVIEW, EVIDENCE_LISTED);
  const unlisted = refs.length - EVIDENCE_PREVIEW - rest.length;
  return html`${refs.slice(0, EVIDENCE_PREVIEW).map(item)}${rest.length > 0 && html` <details><summary>and ${rest.length + unlisted} more</summary>${
    rest.map(item)}${unlisted > 0 && html` · and ${unlisted} more in report.json`}</details>`}`;
}

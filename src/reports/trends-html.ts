// The report's trends: maturity per category over the series' runs (small multiples, a gap where a
// run could not assess the category), findings opened and resolved per run (paired bars), and the
// certificates in service expiring in each of the next weeks (one bar a week). Each chart is an
// inline SVG image (svg.ts) with its title and description, and a table with the same numbers
// beneath, for readers and tools that do not see images. The numbers come computed in the report
// (report-model.ts, src/engine/trends.ts): this only draws them.
import { LEVEL_LABELS, MATURITY_CATEGORIES } from "../model/maturity.js";
import type { ExpiryWeek, TrendRun, Trends } from "../model/trends.js";
import { html, type SafeHtml } from "./escape.js";
import { CATEGORY_NAMES, type EvidenceLinks, evidenceList } from "./maturity-html.js";
import { INK, svgImage } from "./svg.js";

const PANELS = [...MATURITY_CATEGORIES, "overall"] as const;
type Panel = (typeof PANELS)[number];
const PANEL_NAMES: Readonly<Record<Panel, string>> = { ...CATEGORY_NAMES, overall: "Overall" };
const TOP_LEVEL = LEVEL_LABELS.length - 1;

export const TRENDS_STYLE = html`
.trend-chart { display: block; max-width: 100%; height: auto; margin: .5rem 0; }
`;

export function trendsSection(trends: Trends, links: EvidenceLinks): SafeHtml {
  const { runs } = trends;
  const overRuns = runs.length < 2
    ? html`<p class="empty">This is the only run of its series in the store (the same profile, or the same targets without one):
maturity and findings over runs show from the next run on.</p>`
    : html`<h3>Maturity per category over ${runs.length} runs</h3>
${maturityChart(runs)}
<h3>Findings opened and resolved per run</h3>
${findingsChart(runs)}`;
  return html`${overRuns}
<h3>Certificates in service expiring in the next ${trends.expiring.length} weeks</h3>
${expiryChart(trends.expiring, links)}`;
}

/** "run 3" and its start, as each chart and table names a run. */
const runName = (i: number): string => `run ${i + 1}`;
const day = (iso: string): string => iso.slice(0, 10);
const minute = (iso: string): string => `${iso.slice(0, 10)} ${iso.slice(11, 16)}`;

function runsTable(runs: readonly TrendRun[], headers: readonly string[], cells: (run: TrendRun) => (string | number)[]): SafeHtml {
  return html`<details><summary>The numbers as a table</summary><table>
<thead><tr><th>Run</th><th>Started</th>${headers.map((h) => html`<th>${h}</th>`)}</tr></thead>
<tbody>
${runs.map((run, i) => html`<tr><td>${runName(i)} <code class="note">${run.id}</code>${!run.complete && " (incomplete)"}</td><td>${run.startedAt}</td>${cells(run).map((c) => html`<td>${c}</td>`)}</tr>
`)}</tbody>
</table></details>`;
}

// Small multiples: one panel per category and overall, three to a row; each plots level 0–4 against the runs.
const PANEL = { width: 260, height: 118, left: 26, right: 10, top: 22, bottom: 14, columns: 3 } as const;
const PLOT_HEIGHT = PANEL.height - PANEL.top - PANEL.bottom;
const PLOT_WIDTH = PANEL.width - PANEL.left - PANEL.right;

function maturityChart(runs: readonly TrendRun[]): SafeHtml {
  const rows = Math.ceil(PANELS.length / PANEL.columns);
  const width = PANEL.width * PANEL.columns;
  const height = PANEL.height * rows;
  const last = runs[runs.length - 1]!;
  const label = `Maturity level per category over ${runs.length} runs, the latest: ${
    PANELS.map((p) => `${PANEL_NAMES[p]} ${last.maturity[p] ?? "not assessed"}`).join(", ")}.`;
  const panels = PANELS.map((panel, i) => maturityPanel(panel, runs, (i % PANEL.columns) * PANEL.width, Math.floor(i / PANEL.columns) * PANEL.height));
  return html`${svgImage({
    className: "trend-chart trend-maturity", width, height, label, title: "Maturity level per category over the runs",
    desc: `Each panel plots one category's level (0 ${LEVEL_LABELS[0]} to ${TOP_LEVEL} ${LEVEL_LABELS[TOP_LEVEL]}) run by run, oldest first; a gap is a run that could not assess the category.`,
  }, panels)}
${runsTable(runs, PANELS.map((p) => PANEL_NAMES[p]), (run) => PANELS.map((p) => run.maturity[p] ?? "not assessed"))}`;
}

function maturityPanel(panel: Panel, runs: readonly TrendRun[], left: number, top: number): SafeHtml {
  const x = (i: number): number => left + PANEL.left + (runs.length === 1 ? PLOT_WIDTH / 2 : (i * PLOT_WIDTH) / (runs.length - 1));
  const y = (level: number): number => top + PANEL.top + PLOT_HEIGHT - (level * PLOT_HEIGHT) / TOP_LEVEL;
  const levels = runs.map((r) => r.maturity[panel]);
  const grid = LEVEL_LABELS.map((_, level) => html`<line class="grid" x1="${left + PANEL.left}" y1="${y(level)}" x2="${left + PANEL.left + PLOT_WIDTH}" y2="${y(level)}" stroke="${INK.grid}" stroke-width="1"/>
<text x="${left + PANEL.left - 6}" y="${y(level) + 4}" text-anchor="end" font-size="10" fill="${INK.muted}">${level}</text>`);
  // A segment joins two consecutive runs that both have a level: a run without one leaves a gap.
  const segments = levels.slice(1).map((level, i) => {
    const before = levels[i]!;
    return level !== null && before !== null
      && html`<line class="trend" x1="${x(i)}" y1="${y(before)}" x2="${x(i + 1)}" y2="${y(level)}" stroke="${INK.bar}" stroke-width="2"/>`;
  });
  const points = levels.map((level, i) => level !== null
    && html`<circle cx="${x(i)}" cy="${y(level)}" r="3" fill="${INK.bar}" data-run="${runs[i]!.id}" data-level="${level}"><title>${runName(i)} (${minute(runs[i]!.startedAt)}): level ${level}</title></circle>`);
  return html`<g class="trend-panel" data-category="${panel}">
<text x="${left + PANEL.left}" y="${top + 14}" font-weight="600">${PANEL_NAMES[panel]}</text>
${grid}
${segments}
${points}
</g>
`;
}

// Bar charts: a plot area of fixed height with the count above each bar and labels below it.
const BARS = { width: 780, height: 200, left: 30, right: 10, top: 24, bottom: 46 } as const;
const BAR_PLOT_HEIGHT = BARS.height - BARS.top - BARS.bottom;
const BAR_PLOT_WIDTH = BARS.width - BARS.left - BARS.right;
const barBase = BARS.top + BAR_PLOT_HEIGHT;

/** The bar chart's baseline, with the largest value marked on a scale that always starts at 0. */
function barAxis(max: number): SafeHtml {
  return html`<line class="grid" x1="${BARS.left}" y1="${barBase}" x2="${BARS.left + BAR_PLOT_WIDTH}" y2="${barBase}" stroke="${INK.grid}" stroke-width="1"/>
<line class="grid" x1="${BARS.left}" y1="${BARS.top}" x2="${BARS.left + BAR_PLOT_WIDTH}" y2="${BARS.top}" stroke="${INK.grid}" stroke-width="1" stroke-dasharray="3 3"/>
<text x="${BARS.left - 6}" y="${BARS.top + 4}" text-anchor="end" font-size="10" fill="${INK.muted}">${max}</text>
<text x="${BARS.left - 6}" y="${barBase + 4}" text-anchor="end" font-size="10" fill="${INK.muted}">0</text>`;
}

/** A bar of `count` on a scale up to `max`, its count written above it. */
function bar(x: number, width: number, count: number, max: number, fill: string, data: Record<string, string | number>, tip: string): SafeHtml {
  const height = (count * BAR_PLOT_HEIGHT) / max;
  const attributes = Object.entries(data).map(([k, v]) => html` data-${k}="${v}"`);
  return html`<rect class="bar" x="${x}" y="${barBase - height}" width="${width}" height="${height}" fill="${fill}"${attributes}><title>${tip}</title></rect>
<text x="${x + width / 2}" y="${barBase - height - 4}" text-anchor="middle" font-size="11">${count}</text>`;
}

function findingsChart(runs: readonly TrendRun[]): SafeHtml {
  const max = Math.max(1, ...runs.flatMap((r) => [r.opened ?? 0, r.resolved ?? 0]));
  const group = BAR_PLOT_WIDTH / runs.length;
  const barWidth = Math.min(28, group * 0.38);
  const groups = runs.map((run, i) => {
    const middle = BARS.left + group * i + group / 2;
    const when = `${runName(i)} (${minute(run.startedAt)})`;
    const bars = run.opened === null || run.resolved === null
      ? html`<text x="${middle}" y="${barBase - 4}" text-anchor="middle" font-size="11" fill="${INK.muted}">first</text>`
      : html`${bar(middle - barWidth, barWidth, run.opened, max, INK.opened, { run: run.id, kind: "opened", count: run.opened }, `${when}: ${run.opened} opened`)}
${bar(middle, barWidth, run.resolved, max, INK.resolved, { run: run.id, kind: "resolved", count: run.resolved }, `${when}: ${run.resolved} resolved`)}`;
    return html`<g class="trend-run">
${bars}
<text x="${middle}" y="${barBase + 16}" text-anchor="middle" font-size="11">${runs.length <= 20 || i % Math.ceil(runs.length / 20) === 0 ? String(i + 1) : ""}</text>
</g>
`;
  });
  const legend = html`<rect x="${BARS.left}" y="${BARS.height - 16}" width="10" height="10" fill="${INK.opened}"/><text x="${BARS.left + 14}" y="${BARS.height - 7}" font-size="11">opened</text>
<rect x="${BARS.left + 80}" y="${BARS.height - 16}" width="10" height="10" fill="${INK.resolved}"/><text x="${BARS.left + 94}" y="${BARS.height - 7}" font-size="11">resolved</text>
<text x="${BARS.left + 180}" y="${BARS.height - 7}" font-size="11" fill="${INK.muted}">runs, oldest first</text>`;
  const compared = runs.filter((r) => r.opened !== null);
  const label = `Findings opened and resolved per run against the run before it, over ${compared.length} runs compared: ${
    compared.map((r) => `${r.opened} opened, ${r.resolved} resolved`).join("; ")}.`;
  return html`${svgImage({
    className: "trend-chart trend-findings", width: BARS.width, height: BARS.height, label, title: "Findings opened and resolved per run",
    desc: "For each run, oldest first: the findings (by stable id) it has that the run before it did not (opened), and those of the run before it that it no longer has (resolved).",
  }, html`${barAxis(max)}
${groups}
${legend}`)}
${runsTable(runs, ["Findings", "Opened", "Resolved"], (run) => [run.findings, run.opened ?? "first run", run.resolved ?? "first run"])}`;
}

function expiryChart(weeks: readonly ExpiryWeek[], links: EvidenceLinks): SafeHtml {
  const max = Math.max(1, ...weeks.map((w) => w.count));
  const slot = BAR_PLOT_WIDTH / weeks.length;
  const bars = weeks.map((w, i) => {
    const x = BARS.left + slot * i + slot * 0.15;
    return html`<g class="trend-week">
${bar(x, slot * 0.7, w.count, max, INK.bar, { week: w.week, count: w.count }, `week ${w.week} (${day(w.from)} to ${day(w.to)}): ${w.count} expiring`)}
<text x="${x + slot * 0.35}" y="${barBase + 16}" text-anchor="middle" font-size="11">week ${w.week}</text>
<text x="${x + slot * 0.35}" y="${barBase + 30}" text-anchor="middle" font-size="10" fill="${INK.muted}">${w.from.slice(5, 10)}</text>
</g>
`;
  });
  const total = weeks.reduce((n, w) => n + w.count, 0);
  const label = `${total} certificates in service expire in the next ${weeks.length} weeks: ${weeks.map((w) => `week ${w.week} ${w.count}`).join(", ")}.`;
  const rows = weeks.map((w) => html`<tr><td>week ${w.week}</td><td>${w.from} – ${w.to}</td><td>${w.count}</td><td>${
    evidenceList(w.certificates.map((id) => ({ kind: "certificate", id })), links)}${w.count > w.certificates.length && ` (${w.certificates.length} of ${w.count} named)`}</td></tr>
`);
  return html`${svgImage({
    className: "trend-chart trend-expiring", width: BARS.width, height: BARS.height, label, title: `Certificates in service expiring per week, next ${weeks.length} weeks`,
    desc: "Week 1 is the 7 days after the moment the run was judged at (its validation time), week 2 the 7 days after that, and so on; each bar counts the certificates in service whose notAfter falls in it.",
  }, html`${barAxis(max)}
${bars}`)}
<details><summary>The numbers as a table</summary><table>
<thead><tr><th>Week</th><th>From – to</th><th>Expiring</th><th>Certificates</th></tr></thead>
<tbody>
${rows}</tbody>
</table></details>`;
}

// The PKI Consortium model beside the main one: the ratings pkiscope suggests for the PKIC PKI
// Maturity Model from the same evidence, weighted as that model weights them. A table of the 16
// categories first (rating, the share of weight the evidence rated, the range the rest leaves
// open), then each category the scan can bear on with every requirement's suggested level, why,
// what was measured and the evidence linked to its row, and last, folded away, the requirements
// only an interview can assess, each marked so. A pure function of the assessment and of
// `EvidenceLinks`, so that every document (report.html, assessment.html) shows the same; no script.
import type { PkicAggregate, PkicAssessment, PkicCategoryRating, PkicRange, PkicRequirementRating } from "../model/pkic.js";
import { html, type SafeHtml } from "./escape.js";
import { type EvidenceLinks, evidenceList, metricValue, percent } from "./maturity-html.js";

/** The model's level names, the same in every category of PKIMM 1.1.0. */
const PKIC_LEVEL_NAMES = ["Initial", "Basic", "Advanced", "Managed", "Optimized"] as const;

export function pkicSection(pkic: PkicAssessment, links: EvidenceLinks): SafeHtml {
  const requirements = pkic.categories.flatMap((c) => c.requirements);
  const interview = requirements.filter((r) => r.status === "interview");
  const scannable = requirements.length - interview.length;
  const bearsOn = pkic.categories.filter((c) => c.requirements.some((r) => r.status !== "interview"));
  const totalWeight = pkic.categories.reduce((sum, c) => sum + c.weight, 0);
  return html`<div class="pkic">
<p class="pkic-overall">Suggested overall rating: <strong>${ratingText(pkic.overall)}</strong>${
  pkic.overall.rating !== null && html`, from evidence covering ${percent(pkic.overall.coverage)} of the model's weight`}; range ${rangeText(pkic.overall.bounds)}.</p>
<p>The ${pkic.model.name} (version ${pkic.model.version}) rates ${pkic.categories.length} categories from 1 (${PKIC_LEVEL_NAMES[0]})
to 5 (${PKIC_LEVEL_NAMES[4]}): a category's rating is the weighted average of its requirements, the overall rating the weighted
average of the categories by their weights. pkiscope suggests a level for the ${scannable} requirements a scan can bear on, from the
same evidence as the model above; the other ${interview.length} need an interview (documents, and what people say) and are left out
of every rating rather than guessed. A rating therefore covers only the weight the evidence rated; its range is where it would
end if every unrated requirement were rated 1, or 5. These are suggestions for an assessor, not a PKIC assessment.
Mapping: ${pkic.mapping.name}, version ${pkic.mapping.version}.</p>
<p class="note">By module: ${pkic.modules.map((m, i) => html`${i > 0 && " · "}${m.name} ${ratingText(m)} (${percent(m.coverage)} of its weight rated)`)}.</p>
${categoryTable(pkic, totalWeight)}
<div class="pkic-categories">
${bearsOn.map((c) => categoryBlock(c, totalWeight, links))}
</div>
${interviewList(pkic.categories, interview.length)}
</div>`;
}

/** Classes the section uses; a document showing it puts this in its <style>. */
export const PKIC_STYLE = html`
.pkic-overall { font-size: 1.15rem; }
.pkic-categories { display: grid; grid-template-columns: repeat(auto-fit, minmax(30rem, 1fr)); gap: 1rem; margin-top: 1rem; }
.pkic-category { border: 1px solid var(--border, #d0d7de); border-radius: 6px; padding: .5rem 1rem; break-inside: avoid; }
.pkic-category:target, .pkic-interview h4:target { outline: 3px solid #d4a72c; }
.pkic-category h3 { margin-top: .25rem; }
.pkic-category ul, .pkic-interview ul { margin: .25rem 0; padding-left: 1.25rem; }
.pkic-requirement { margin: .45rem 0; }
.pkic-badge { display: inline-block; padding: .05rem .6rem; border-radius: 999px; border: 2px solid #1f4e8c; font-size: .9rem; }
.pkic-verdict { font-weight: 600; }
.pkic-detail { color: var(--muted, #57606a); }
.pkic-interview-mark { display: inline-block; padding: 0 .45rem; border: 1px dashed var(--muted, #57606a); border-radius: 999px; font-size: .8em; color: var(--muted, #57606a); }
.pkic-interview { margin-top: 1rem; }
`;

/** One row per category, in the model's order, each linking to where its requirements are shown. */
function categoryTable({ categories, modules }: PkicAssessment, totalWeight: number): SafeHtml {
  const moduleNames = new Map(modules.map((m) => [m.id, m.name]));
  const rows = categories.map((c) => {
    const count = (status: PkicRequirementRating["status"]): number => c.requirements.filter((r) => r.status === status).length;
    const interviewOnly = count("interview") === c.requirements.length;
    const counts = [
      count("rated") > 0 && `${count("rated")} rated`,
      count("not-assessed") > 0 && `${count("not-assessed")} not assessed`,
    ].filter((part): part is string => part !== false);
    return html`<tr data-category="${c.id}">
<td><a href="#${interviewOnly ? `pkic-interview-${c.id}` : `pkic-${c.id}`}">${c.id} ${c.name}</a></td>
<td>${moduleNames.get(c.module) ?? c.module}</td>
<td>${c.weight} <span class="note">of ${totalWeight}</span></td>
<td>${interviewOnly ? html`<span class="note">interview only</span>` : ratingText(c)}</td>
<td>${percent(c.coverage)}</td>
<td>${rangeText(c.bounds)}</td>
<td>${counts.map((part) => html`${part} · `)}${count("interview") > 0 && html`<span class="pkic-interview-mark">${count("interview")} interview</span>`}</td>
</tr>
`;
  });
  return html`<table class="pkic-table">
<thead><tr><th>Category</th><th>Module</th><th title="The PKIC model's weight of the category in the overall rating">Weight</th><th>Suggested rating</th><th title="Share of the category's weight the evidence rated">Weight rated</th><th title="The rating if every unrated requirement were rated 1, or 5">Range</th><th>Requirements</th></tr></thead>
<tbody>
${rows}</tbody>
</table>`;
}

function categoryBlock(c: PkicCategoryRating, totalWeight: number, links: EvidenceLinks): SafeHtml {
  const interview = c.requirements.filter((r) => r.status === "interview");
  const interviewWeight = interview.reduce((sum, r) => sum + r.weight, 0);
  const requirementWeight = c.requirements.reduce((sum, r) => sum + r.weight, 0);
  return html`<article class="pkic-category" id="pkic-${c.id}">
<h3>${c.id} ${c.name} <span class="pkic-badge">${ratingText(c)}</span></h3>
<p class="note">Weight ${c.weight} of ${totalWeight} in the overall rating · ${percent(c.coverage)} of the category's weight rated · range ${rangeText(c.bounds)}</p>
<ul>${c.requirements.filter((r) => r.status !== "interview").map((r) => requirementItem(r, requirementWeight, links))}</ul>
${interview.length > 0 && html`<p class="note">${interview.length} more requirement(s), weight ${interviewWeight} of ${requirementWeight}, only an interview can assess: <a href="#pkic-interview-${c.id}">listed below</a>.</p>`}
</article>`;
}

/** A requirement the scan can bear on: the level suggested (or why none), what was measured and counted, what would settle the rest. */
function requirementItem(r: PkicRequirementRating, requirementWeight: number, links: EvidenceLinks): SafeHtml {
  const verdict = r.suggestedLevel === null ? "not assessed" : `suggested level ${levelName(r.suggestedLevel)}`;
  const measured = Object.entries(r.metrics);
  return html`<li class="pkic-requirement" data-requirement="${r.id}" data-status="${r.status}">
<code>${r.id}</code> ${r.name} <span class="note">· weight ${r.weight} of ${requirementWeight}</span><br>
<span class="pkic-verdict">${verdict}</span> <span class="note">· range ${rangeText(r.bounds, 0)}</span>
<div class="pkic-detail">Why: ${r.why}</div>${
  measured.length > 0 && html`<div class="pkic-detail">Measured: ${measured.map(([metric, value], i) => html`${i > 0 && ", "}<code>${metric}</code> ${value === null ? "not observed" : metricValue(metric, value)}`)}</div>`}${
  r.evidence.length > 0 && html`<div class="pkic-detail">Counted: ${evidenceList(r.evidence, links)}</div>`}${
  r.toObserve.length > 0 && html`<div class="pkic-detail">To observe: ${r.toObserve.map((step, i) => html`${i > 0 && " · "}${step}`)}</div>`}
</li>`;
}

/** Every requirement only people can tell, per category, each marked; folded, since they are most of the model. */
function interviewList(categories: readonly PkicCategoryRating[], count: number): SafeHtml | null {
  if (count === 0) return null;
  const groups = categories.map((c) => ({ c, interview: c.requirements.filter((r) => r.status === "interview") })).filter((g) => g.interview.length > 0);
  return html`<details class="pkic-interview" id="pkic-interview">
<summary>${count} requirements only an interview can assess</summary>
<p class="note">The PKIC model rates these from documents and from what people say. A scan cannot see them, so they count in no
rating above and keep every range open; an assessor rates them in an interview.</p>
${groups.map(({ c, interview }) => html`<h4 id="pkic-interview-${c.id}">${c.id} ${c.name}</h4>
<ul>${interview.map((r) => html`<li class="pkic-requirement" data-requirement="${r.id}" data-status="${r.status}"><span class="pkic-interview-mark">interview</span> <code>${r.id}</code> ${r.name} <span class="note">· weight ${r.weight}</span></li>`)}</ul>
`)}
</details>`;
}

/** A weighted rating to one decimal, "2.4 of 5"; "not rated" when the evidence rated nothing in it. */
function ratingText({ rating }: PkicAggregate): string {
  return rating === null ? "not rated" : `${rating.toFixed(1)} of 5`;
}

/** "2.0–3.6" for a weighted rating, "2–3" for a requirement's levels; one number when nothing unrated can move it. */
function rangeText({ min, max }: PkicRange, decimals = 1): string {
  const [low, high] = [min.toFixed(decimals), max.toFixed(decimals)];
  return low === high ? low : `${low}–${high}`;
}

function levelName(level: number): string {
  return `${level} ${PKIC_LEVEL_NAMES[level - 1] ?? ""}`.trim();
}

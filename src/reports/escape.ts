// HTML escaping for the report renderers. Nearly every string in a report is attacker-influenced
// (certificate subjects and SANs, server error messages, URLs from certificates), so markup is
// only ever built through the `html` tag: it escapes every interpolated value unless that value
// is itself markup made by `html`. Forgetting to escape then takes deliberate effort.

const ENTITIES: Readonly<Record<string, string>> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** Escapes text for use in element content and in quoted attribute values alike. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => ENTITIES[ch] ?? ch);
}

/** Markup that is already safe; only `html` makes one. */
export class SafeHtml {
  constructor(readonly markup: string) {}
}

/** `false`, null and undefined render as nothing, so `cond && html\`...\`` works inline. */
export type HtmlValue = SafeHtml | string | number | false | null | undefined | readonly HtmlValue[];

export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let markup = strings[0] ?? "";
  values.forEach((value, i) => {
    markup += renderValue(value) + (strings[i + 1] ?? "");
  });
  return new SafeHtml(markup);
}

function renderValue(value: HtmlValue): string {
  if (value instanceof SafeHtml) return value.markup;
  if (Array.isArray(value)) return value.map(renderValue).join("");
  if (value === false || value === null || value === undefined) return "";
  return escapeHtml(String(value));
}

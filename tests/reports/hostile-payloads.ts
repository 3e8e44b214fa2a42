// Hostile strings and the checks on what pkiscope renders from them, shared by the tests that
// feed them in through certificates (hostile-strings.test.ts) and through AD CS LDAP values
// (hostile-adcs-strings.test.ts): markup that runs if unescaped, terminal controls, a loopback
// marker server a payload would fetch from, and the assertions on HTML, CSV and terminal text.
import { once } from "node:events";
import { createServer } from "node:http";
import { parse as parseCsv } from "csv-parse/sync";
import MarkdownIt from "markdown-it";
import { expect, it } from "vitest";
import { pathToFileURL } from "node:url";
import { INJECTED_FUNCTION, type LoadedPage, openChromium } from "./headless-chromium.js";

// Every byte a terminal must never see from a hostile string (the set src/printable.ts replaces), "\n" aside.
// eslint-disable-next-line no-control-regex
export const UNPRINTABLE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

/** Markup payloads: each calls the injected function, and most also fetch from the marker server. */
export function markupPayloads(markerUrl: string) {
  return {
    script: `<script>${INJECTED_FUNCTION}();fetch('${markerUrl}/script')</script>`,
    image: `<img src=x onerror="${INJECTED_FUNCTION}();fetch('${markerUrl}/img')">`,
    attributeBreak: `"><svg onload=${INJECTED_FUNCTION}()>`,
    quoteBreak: `'><iframe src=javascript:${INJECTED_FUNCTION}()></iframe>`,
    titleBreak: `</title></text></style><script>alert(1)</script>`,
    javascriptUrl: `javascript:${INJECTED_FUNCTION}()`,
    remoteImage: `<img src="${markerUrl}/remote.png">`,
  };
}

export type MarkupPayloads = ReturnType<typeof markupPayloads>;

export const TERMINAL_PAYLOADS = {
  ansi: "\u001b[31mRED\u001b[0m\u001b]0;retitled\u0007\u001b[2J",
  c1AndBidi: "c1\u009b2J bidi\u202eevil\u2066",
  forgedLines: "line\nFORGED: a line of its own\r\nFORGED-CRLF\u2028FORGED-LS",
};

/** TERMINAL_PAYLOADS.ansi as a terminal printer must show it: each control replaced by U+FFFD. */
export const INERT_ANSI = "\uFFFD[31mRED\uFFFD[0m\uFFFD]0;retitled\uFFFD\uFFFD[2J";

/** An HTTP server on `address` that records every request: a payload that ran and fetched. */
export async function startMarkerServer(address: string): Promise<{ url: string; hits: string[]; close(): void }> {
  const hits: string[] = [];
  const server = createServer((req, res) => {
    hits.push(req.url ?? "");
    res.end();
  });
  server.listen(0, address);
  await once(server, "listening");
  return { url: `http://${address}:${(server.address() as { port: number }).port}`, hits, close: () => server.close() };
}

/** Markdown pkiscope printed, as a ticket system might show it: rendered by markdown-it with raw HTML allowed. */
export function markdownPage(markdown: string): string {
  const md = new MarkdownIt({ html: true, linkify: true });
  return `<!doctype html><meta charset="utf-8"><body>${md.render(markdown)}</body>`;
}

/** A page loaded in Chromium ran nothing and holds no injected element or attribute. */
export function expectInert(page: string, seen: LoadedPage): void {
  expect({ page, calls: seen.calls, dialogs: seen.dialogs, requests: seen.requests, scripts: seen.scripts, dangerous: seen.dangerousAttributes })
    .toEqual({ page, calls: 0, dialogs: 0, requests: [], scripts: 0, dangerous: [] });
}

/** Cells a spreadsheet would run as a formula when it splits `csv` on `delimiter`; `rows` is how many there were. */
export function formulaCells(csv: string, delimiter: string): { rows: number; formulas: string[] } {
  const rows = parseCsv(csv, { delimiter, relax_column_count: true, relax_quotes: true, bom: true }) as string[][];
  return { rows: rows.length, formulas: rows.flat().filter((cell) => /^[=+\-@\t\r]/.test(cell)) };
}

/** A command's output holds no control character and no line a payload forged. */
export function expectPrintable(name: string, text: string): void {
  expect(text.length, name).toBeGreaterThan(0);
  expect(text.match(UNPRINTABLE)?.[0], `${name} prints a control character`).toBeUndefined();
  expect(text.split("\n").filter((line) => /^\s*FORGED/.test(line)), name).toEqual([]);
}

/** One test per separator a spreadsheet may split on: no cell of `csv()` starts with a formula character. */
export function itHasNoFormulaCells(csv: () => string, minRows: number): void {
  for (const delimiter of [",", ";", "\t"]) {
    it(`has no cell a spreadsheet would run as a formula, split on "${delimiter === "\t" ? "\\t" : delimiter}"`, () => {
      const { rows, formulas } = formulaCells(csv(), delimiter);
      expect(rows).toBeGreaterThanOrEqual(minRows);
      expect(formulas).toEqual([]);
    });
  }
}

/** Each of these files as one headless Chromium saw it, with the documents' CSP honoured or bypassed. */
export async function loadPages(paths: readonly string[], bypassCsp: boolean): Promise<Array<[string, LoadedPage]>> {
  const browser = await openChromium(bypassCsp);
  const loaded: Array<[string, LoadedPage]> = [];
  try {
    for (const path of paths) loaded.push([path, await browser.load(pathToFileURL(path).href)]);
  } finally {
    await browser.close();
  }
  return loaded;
}

// Writes the report files of a run: report.json, report.html and inventory.csv by default, and on
// request the CycloneDX CBOM, report.cdx.json (the .cdx.json ending CycloneDX tools recognise).
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { UsageError } from "../errors.js";
import { splitList } from "../targets/targets.js";
import { renderCbom } from "./cbom.js";
import { renderInventoryCsv } from "./csv.js";
import { renderHtml } from "./html.js";
import { renderJson } from "./json.js";
import type { Report } from "./report-model.js";

export type ReportFormat = "json" | "html" | "csv" | "cbom";
export const REPORT_FORMATS: readonly ReportFormat[] = ["json", "html", "csv", "cbom"];
/** What a scan writes unless --format says otherwise. */
export const DEFAULT_REPORT_FORMATS: readonly ReportFormat[] = ["json", "html", "csv"];

const FILES: Record<ReportFormat, { name: string; render(report: Report): string }> = {
  json: { name: "report.json", render: renderJson },
  html: { name: "report.html", render: renderHtml },
  csv: { name: "inventory.csv", render: renderInventoryCsv },
  cbom: { name: "report.cdx.json", render: renderCbom },
};

/** A --format value: formats, comma-separated. */
export function parseReportFormats(text: string): ReportFormat[] {
  const formats = splitList(text);
  if (formats.length === 0) throw new UsageError(`--format takes one or more of ${REPORT_FORMATS.join(", ")}`);
  for (const f of formats) {
    if (!REPORT_FORMATS.includes(f as ReportFormat)) throw new UsageError(`--format takes ${REPORT_FORMATS.join(", ")}, not "${f}"`);
  }
  return formats as ReportFormat[];
}

export function renderReport(report: Report, format: ReportFormat): string {
  return FILES[format].render(report);
}

/** Returns the paths written. */
export async function writeReports(report: Report, dir: string, formats: readonly ReportFormat[] = DEFAULT_REPORT_FORMATS): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const written: string[] = [];
  for (const format of formats) {
    const path = join(dir, FILES[format].name);
    await writeFile(path, FILES[format].render(report));
    written.push(path);
  }
  return written;
}

// Writes the report files of a run: report.json, report.html and inventory.csv.
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { renderInventoryCsv } from "./csv.js";
import { renderHtml } from "./html.js";
import { renderJson } from "./json.js";
import type { Report } from "./report-model.js";

export type ReportFormat = "json" | "html" | "csv";
export const REPORT_FORMATS: readonly ReportFormat[] = ["json", "html", "csv"];

const FILES: Record<ReportFormat, { name: string; render(report: Report): string }> = {
  json: { name: "report.json", render: renderJson },
  html: { name: "report.html", render: renderHtml },
  csv: { name: "inventory.csv", render: renderInventoryCsv },
};

export function renderReport(report: Report, format: ReportFormat): string {
  return FILES[format].render(report);
}

/** Returns the paths written. */
export async function writeReports(report: Report, dir: string, formats: readonly ReportFormat[] = REPORT_FORMATS): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const written: string[] = [];
  for (const format of formats) {
    const path = join(dir, FILES[format].name);
    await writeFile(path, FILES[format].render(report));
    written.push(path);
  }
  return written;
}

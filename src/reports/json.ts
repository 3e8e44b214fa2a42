// The JSON report: the Report document as is. Its shape is the public contract described by
// docs/report.schema.json, so nothing is renamed or dropped here.
import type { Report } from "./report-model.js";

export function renderJson(report: Report): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

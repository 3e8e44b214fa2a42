// Writes the report files of a run: report.json, report.html and inventory.csv by default, and on
// request the CycloneDX CBOM, report.cdx.json (the .cdx.json ending CycloneDX tools recognise).
import { createWriteStream } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { OutputError, UsageError } from "../errors.js";
import { printableJson, printableLines } from "../printable.js";
import { splitList } from "../targets/targets.js";
import { renderCbom } from "./cbom.js";
import { renderInventoryCsv } from "./csv.js";
import { renderHtml } from "./html.js";
import { jsonChunks } from "./json.js";
import type { Report } from "./report-model.js";

export type ReportFormat = "json" | "html" | "csv" | "cbom";
export const REPORT_FORMATS: readonly ReportFormat[] = ["json", "html", "csv", "cbom"];
/** What a scan writes unless --format says otherwise. */
export const DEFAULT_REPORT_FORMATS: readonly ReportFormat[] = ["json", "html", "csv"];

/** Each format's file and its text in chunks: report.json as a stream (json.ts), the others whole. */
const FILES: Record<ReportFormat, { name: string; chunks(report: Report): Iterable<string> }> = {
  json: { name: "report.json", chunks: jsonChunks },
  html: { name: "report.html", chunks: (report) => [renderHtml(report)] },
  csv: { name: "inventory.csv", chunks: (report) => [renderInventoryCsv(report)] },
  cbom: { name: "report.cdx.json", chunks: (report) => [renderCbom(report)] },
};
/** Chunks are gathered to about this size before a write: one write per certificate would cost more than the text. */
const WRITE_BATCH_CHARS = 64 * 1024;

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
  return [...FILES[format].chunks(report)].join("");
}

/**
 * Writes one format to `out` (stdout) as a stream, waiting for it to drain; `out` stays open.
 * JSON formats are made printable (the same value; see printableJson); CSV and HTML, which have
 * no escape for those characters, go to a terminal with them replaced (printableLines) and to a
 * pipe or file byte for byte.
 */
export async function streamReport(report: Report, format: ReportFormat, out: NodeJS.WritableStream & { isTTY?: boolean }): Promise<void> {
  const chunks = FILES[format].chunks(report);
  const json = format === "json" || format === "cbom";
  const shown = json ? mapped(chunks, printableJson) : out.isTTY ? mapped(batched(chunks), printableLines) : chunks;
  await pipeline(Readable.from(batched(shown)), out, { end: false });
}

function* mapped(chunks: Iterable<string>, map: (chunk: string) => string): Generator<string> {
  for (const chunk of chunks) yield map(chunk);
}

function reportStream(report: Report, format: ReportFormat): Readable {
  return Readable.from(batched(FILES[format].chunks(report)));
}

/**
 * Returns the paths written. Each file is written beside its final name and renamed into place
 * once every format is whole, so a failed write (a full disk) leaves the earlier reports as they
 * were and no partial file behind.
 */
export async function writeReports(report: Report, dir: string, formats: readonly ReportFormat[] = DEFAULT_REPORT_FORMATS): Promise<string[]> {
  const written = formats.map((format) => join(dir, FILES[format].name));
  const partial = written.map((path) => `${path}.partial-${process.pid}`);
  try {
    await mkdir(dir, { recursive: true });
    for (const [i, format] of formats.entries()) await pipeline(reportStream(report, format), createWriteStream(partial[i]!));
    for (const [i, path] of written.entries()) await rename(partial[i]!, path);
  } catch (err) {
    await Promise.all(partial.map((path) => rm(path, { force: true })));
    throw new OutputError(`cannot write the reports in ${dir}: ${outputFailure(err)}`, { cause: err });
  }
  return written;
}

function outputFailure(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === "ENOSPC" || code === "EDQUOT") return `the disk is full (${code}); earlier reports there are unchanged`;
  return (err as Error).message;
}

function* batched(chunks: Iterable<string>): Generator<string> {
  let batch = "";
  for (const chunk of chunks) {
    batch += chunk;
    if (batch.length >= WRITE_BATCH_CHARS) {
      yield batch;
      batch = "";
    }
  }
  if (batch.length > 0) yield batch;
}

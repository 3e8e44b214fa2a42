// The JSON report: the Report document as is. Its shape is the public contract described by
// docs/report.schema.json, so nothing is renamed or dropped here.
//
// Written as a stream of chunks, byte for byte what JSON.stringify(report, null, 2) gives: a run of
// 100,000 certificates is a JSON text of over 150 MB, which as one string (and its builder's
// copies) would be the largest thing in memory. No JSON streaming library reproduces
// JSON.stringify's indented layout exactly, and the layout is part of what users diff, so the
// walk is written here: it descends through the document's objects and arrays down to
// STREAMED_DEPTH and hands each value below that (a certificate, a finding) to JSON.stringify.
import type { Report } from "./report-model.js";

const INDENT = "  ";
/**
 * Levels of objects and arrays walked here; deeper values are stringified whole. Depth 3 reaches
 * the elements of report.inventory.certificates and report.findings (a few KB each), so no
 * chunk is larger than one object of the inventory.
 */
const STREAMED_DEPTH = 3;

export function renderJson(report: Report): string {
  return [...jsonChunks(report)].join("");
}

/** The JSON report in pieces (each at most one inventory object), for writing as a stream. */
export function* jsonChunks(report: Report): Generator<string> {
  yield* valueChunks(report, "", 0);
  yield "\n";
}

function* valueChunks(value: unknown, indent: string, depth: number): Generator<string> {
  if (depth >= STREAMED_DEPTH || !isPlainContainer(value)) {
    // JSON.stringify indents nested lines from the value's own column; shift them to this one.
    // Newlines inside strings are escaped, so every raw newline is layout.
    yield JSON.stringify(value, null, INDENT).replaceAll("\n", `\n${indent}`);
    return;
  }
  const inner = indent + INDENT;
  if (Array.isArray(value)) {
    if (value.length === 0) {
      yield "[]";
      return;
    }
    yield "[";
    for (let i = 0; i < value.length; i++) {
      yield `${i === 0 ? "" : ","}\n${inner}`;
      // As JSON.stringify does: an element with no JSON form (undefined, a function) is null.
      const element: unknown = value[i];
      if (hasJsonForm(element)) yield* valueChunks(element, inner, depth + 1);
      else yield "null";
    }
    yield `\n${indent}]`;
    return;
  }
  // As JSON.stringify does: a member with no JSON form is left out.
  const entries = Object.entries(value).filter(([, v]) => hasJsonForm(v));
  if (entries.length === 0) {
    yield "{}";
    return;
  }
  yield "{";
  for (const [i, [key, member]] of entries.entries()) {
    yield `${i === 0 ? "" : ","}\n${inner}${JSON.stringify(key)}: `;
    yield* valueChunks(member, inner, depth + 1);
  }
  yield `\n${indent}}`;
}

/** Arrays and plain objects without toJSON: the containers this walk lays out itself. */
function isPlainContainer(value: unknown): value is Record<string, unknown> | unknown[] {
  if (Array.isArray(value)) return true;
  if (typeof value !== "object" || value === null || typeof (value as { toJSON?: unknown }).toJSON === "function") return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

function hasJsonForm(value: unknown): boolean {
  return value !== undefined && typeof value !== "function" && typeof value !== "symbol";
}

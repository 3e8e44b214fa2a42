// A strict reader of the Prometheus text exposition format 0.0.4
// (https://prometheus.io/docs/instrumenting/exposition_formats/): prom-client writes it and has no
// parser, and none is installed. Anything the format does not allow throws, naming the line.

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface MetricFamily {
  name: string;
  help: string | null;
  type: "counter" | "gauge" | "histogram" | "summary" | "untyped";
  samples: Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const FLOAT = /^[+-]?(?:Inf|NaN|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)$/;
const TYPES = new Set(["counter", "gauge", "histogram", "summary", "untyped"]);

/** The sample names a family of this type may hold. */
function sampleNamesOf(family: MetricFamily): string[] {
  switch (family.type) {
    case "histogram": return ["_bucket", "_sum", "_count"].map((s) => family.name + s);
    case "summary": return [family.name, `${family.name}_sum`, `${family.name}_count`];
    default: return [family.name];
  }
}

function unescape(text: string, allowQuote: boolean, where: string): string {
  return text.replace(/\\(.)/g, (_, c: string) => {
    if (c === "\\") return "\\";
    if (c === "n") return "\n";
    if (c === '"' && allowQuote) return '"';
    throw new Error(`${where}: invalid escape \\${c}`);
  });
}

function parseValue(text: string, where: string): number {
  if (!FLOAT.test(text)) throw new Error(`${where}: "${text}" is not a float`);
  if (/Inf$/.test(text)) return text.startsWith("-") ? -Infinity : Infinity;
  return text.endsWith("NaN") ? Number.NaN : Number(text);
}

/** Labels `{a="x",b="y"}` from position `start` (at "{"); returns them and the index after "}". */
function parseLabels(line: string, start: number, where: string): { labels: Record<string, string>; end: number } {
  const labels: Record<string, string> = {};
  let i = start + 1;
  while (line[i] !== "}") {
    const nameEnd = line.indexOf("=", i);
    if (nameEnd < 0) throw new Error(`${where}: label without "="`);
    const name = line.slice(i, nameEnd);
    if (!LABEL_NAME.test(name) || name.startsWith("__")) throw new Error(`${where}: bad label name "${name}"`);
    if (name in labels) throw new Error(`${where}: label ${name} repeated`);
    if (line[nameEnd + 1] !== '"') throw new Error(`${where}: label ${name} value not quoted`);
    let j = nameEnd + 2;
    let raw = "";
    for (; j < line.length && line[j] !== '"'; j++) {
      if (line[j] === "\\") raw += line[j++]!;
      raw += line[j]!;
    }
    if (j >= line.length) throw new Error(`${where}: label ${name} value not closed`);
    labels[name] = unescape(raw, true, where);
    i = j + 1;
    if (line[i] === ",") i++;
    else if (line[i] !== "}") throw new Error(`${where}: expected "," or "}" after label ${name}`);
  }
  return { labels, end: i + 1 };
}

export function parsePrometheusText(text: string): Map<string, MetricFamily> {
  if (!text.endsWith("\n")) throw new Error("exposition does not end with a line feed");
  const families = new Map<string, MetricFamily>();
  const seen = new Set<string>();
  /** Families whose samples have been read and were followed by another family's: they are closed. */
  const closed = new Set<string>();
  let current: MetricFamily | null = null;
  const family = (name: string, where: string): MetricFamily => {
    if (!METRIC_NAME.test(name)) throw new Error(`${where}: bad metric name "${name}"`);
    if (closed.has(name)) throw new Error(`${where}: ${name} appears again after another family`);
    let f = families.get(name);
    if (!f) {
      f = { name, help: null, type: "untyped", samples: [] };
      families.set(name, f);
    }
    if (current && current !== f) closed.add(current.name);
    current = f;
    return f;
  };
  text.slice(0, -1).split("\n").forEach((line, index) => {
    const where = `line ${index + 1}`;
    if (line.trim() === "") return;
    if (line.startsWith("#")) {
      const m = /^#\s+(HELP|TYPE)\s+(\S+)(?:\s(.*))?$/.exec(line);
      if (!m) return; // a comment
      const [, keyword, name, rest = ""] = m as unknown as [string, string, string, string | undefined];
      const f = family(name, where);
      if (keyword === "HELP") {
        if (f.help !== null) throw new Error(`${where}: second HELP for ${name}`);
        f.help = unescape(rest, false, where);
      } else {
        if (!TYPES.has(rest)) throw new Error(`${where}: unknown type "${rest}"`);
        if (f.samples.length > 0 || f.type !== "untyped") throw new Error(`${where}: TYPE of ${name} after its samples or twice`);
        f.type = rest as MetricFamily["type"];
      }
      return;
    }
    const nameMatch = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line);
    if (!nameMatch) throw new Error(`${where}: no metric name`);
    const name = nameMatch[0];
    let i = name.length;
    let labels: Record<string, string> = {};
    if (line[i] === "{") ({ labels, end: i } = parseLabels(line, i, where));
    const rest = line.slice(i);
    const fields = /^ +(\S+)(?: +(-?\d+))? *$/.exec(rest);
    if (!fields) throw new Error(`${where}: expected " value [timestamp]", got "${rest}"`);
    const owner = current && sampleNamesOf(current).includes(name) ? current : family(name, where);
    const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    if (seen.has(key)) throw new Error(`${where}: series ${key} repeated`);
    seen.add(key);
    owner.samples.push({ name, labels, value: parseValue(fields[1]!, where) });
  });
  return families;
}

/** The value of the one sample of `name` whose labels are exactly `labels`; throws unless there is exactly one. */
export function sampleValue(families: ReadonlyMap<string, MetricFamily>, name: string, labels: Record<string, string>): number {
  const same = (a: Record<string, string>): boolean =>
    Object.keys(a).length === Object.keys(labels).length && Object.entries(labels).every(([k, v]) => a[k] === v);
  const found = families.get(name)?.samples.filter((s) => same(s.labels)) ?? [];
  if (found.length !== 1) throw new Error(`${found.length} samples of ${name} ${JSON.stringify(labels)}, not one`);
  return found[0]!.value;
}

// What the TLS benchmarks read back from each tool: nmap's -oX output (which endpoints printed a
// certificate), the comparison with the endpoints served, and the printed command line.
import { readFile } from "node:fs/promises";

export interface FoundCheck {
  tls: number;
  found: string;
  /** nmap only: ports it reported open. */
  open?: number;
  warning?: string;
}

/** Endpoints ("address:port") whose ssl-cert script printed a certificate, checked against `expected`. */
export async function checkNmap(xmlPath: string, expected: ReadonlySet<string>): Promise<FoundCheck> {
  let xml: string;
  try {
    xml = await readFile(xmlPath, "utf8");
  } catch (err) {
    return { tls: 0, found: "no XML output", warning: `cannot read ${xmlPath}: ${(err as Error).message}` };
  }
  const certs = new Set<string>();
  let open = 0;
  // Bounded by the input: one match per <host>, one per <port> inside it.
  for (const host of xml.match(/<host[\s>][\s\S]*?<\/host>/g) ?? []) {
    const address = /<address addr="([^"]+)" addrtype="ipv4"/.exec(host)?.[1];
    if (!address) continue;
    for (const m of host.matchAll(/<port protocol="tcp" portid="(\d+)">([\s\S]*?)<\/port>/g)) {
      const body = m[2]!;
      if (/<state state="open"/.test(body)) open++;
      const script = /<script id="ssl-cert" output="([^"]*)"/.exec(body);
      if (script && script[1]!.includes("Subject:")) certs.add(`${address}:${m[1]}`);
    }
  }
  const found = `${certs.size}/${expected.size} TLS endpoints (certificate printed; ${open} open ports)`;
  const problems = endpointDiff(expected, certs);
  return problems.length > 0 ? { tls: certs.size, found, open, warning: problems.join("; ") } : { tls: certs.size, found, open };
}

/** What was missed and what was unexpected, as sentences; empty when `seen` is `expected`. */
export function endpointDiff(expected: ReadonlySet<string>, seen: ReadonlySet<string>): string[] {
  const missing = [...expected].filter((id) => !seen.has(id));
  const extra = [...seen].filter((id) => !expected.has(id));
  const out: string[] = [];
  if (missing.length > 0) out.push(`missed ${missing.join(", ")}`);
  if (extra.length > 0) out.push(`unexpected TLS at ${extra.join(", ")}`);
  return out;
}

/** The found text when every run agrees, else each run's count. */
export function summariseFound(texts: readonly string[]): string {
  const distinct = [...new Set(texts)];
  if (distinct.length === 1) return distinct[0]!;
  return `varied by run: ${texts.map((t) => t.split(" ")[0]).join(", ")} TLS endpoints`;
}

/** A command line as a shell would take it, for the printed setup. */
export function shellLine(command: string, args: readonly string[]): string {
  return [command, ...args].map((a) => (/^[\w@%+=:,./$-]+$/.test(a) ? a : `'${a.replaceAll("'", "'\\''")}'`)).join(" ");
}

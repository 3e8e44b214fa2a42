// Several runs, one organisation: real assessments combine scans (two sites' subnets, the AD
// scan, a certificate-store import). The union of stored runs is one inventory view, as if one
// scan had seen everything, with each object's run kept so evidence can still cite where it was
// seen. Where two runs saw the same object (an endpoint, a CRL, a directory) the newest run's
// observation stands.
import type { EvidenceKind, EvidenceRef } from "../model/evidence.js";
import type { RuleOutcome } from "../model/rules.js";
import type { Finding, RunInfo } from "../model/types.js";
import type { RunContents } from "../store/store.js";
import { groupBy } from "../collections.js";
import { type InventoryView, buildInventoryView } from "./inventory.js";

export interface RunUnion {
  /** The runs, oldest first. */
  runs: RunInfo[];
  view: InventoryView;
  findings: Finding[];
  ruleOutcomes: RuleOutcome[];
  /** The newest run that saw the object an evidence reference names (undefined when none did). */
  runOf(kind: EvidenceKind, id: string): string | undefined;
}

/** Latest wins: every entry keyed once, by the newest run that has it. */
function newestByKey<T>(perRun: readonly (readonly T[])[], key: (item: T) => string): T[] {
  const byKey = new Map<string, T>();
  for (const items of perRun) for (const item of items) byKey.set(key(item), item);
  return [...byKey.values()];
}

export function unionOfRuns(contents: readonly RunContents[]): RunUnion {
  if (contents.length === 0) throw new Error("a union of runs needs at least one run");
  const ordered = [...contents].sort((a, b) => a.run.startedAt.localeCompare(b.run.startedAt));
  const newest = ordered.at(-1)!;
  const seenIn = new Map<string, string>();
  const note = (kind: EvidenceKind, id: string, run: string) => seenIn.set(`${kind}\u0000${id}`, run);
  for (const c of ordered) {
    const run = c.run.id;
    for (const s of c.sightings) note("certificate", s.sha256, run);
    for (const e of c.endpoints) note("endpoint", e.id, run);
    for (const f of c.findings) note("finding", f.id, run);
    for (const crl of c.crls) note("crl", crl.url, run);
    for (const o of c.ocsp) if (o.url) note("ocsp-responder", o.url, run);
  }

  // A certificate is trusted in the union if any run's anchors took it to one.
  const paths = new Map<string, RunContents["paths"][number]>();
  for (const c of ordered) for (const p of c.paths) if (!paths.get(p.sha256)?.trustedPath || p.trustedPath) paths.set(p.sha256, p);
  const run: RunInfo = {
    ...newest.run,
    id: ordered.map((c) => c.run.id).join("+"),
    startedAt: ordered[0]!.run.startedAt,
    targets: [...new Set(ordered.flatMap((c) => c.run.targets))],
    ports: [...new Set(ordered.flatMap((c) => c.run.ports))],
  };
  const view = buildInventoryView({
    run,
    endpoints: newestByKey(ordered.map((c) => c.endpoints), (e) => e.id),
    sightings: ordered.flatMap((c) => c.sightings),
    certificates: newestByKey(ordered.map((c) => c.certificates), (c) => c.sha256),
    snapshots: newestByKey(ordered.map((c) => c.snapshots), (s) => `${s.kind}\u0000${s.source}`),
    paths: [...paths.values()],
    anchors: [...new Set(ordered.flatMap((c) => c.anchors))],
    crls: newestByKey(ordered.map((c) => c.crls), (c) => c.url),
    ocsp: ordered.flatMap((c) => c.ocsp),
    // A file is as the newest run that read it found it.
    privateKeys: newestByKey(ordered.map((c) => c.privateKeys ?? []), (k) => `${k.file}\u0000${k.entry ?? ""}`),
    fileRecords: newestByKey(ordered.map((c) => c.fileRecords ?? []), (f) => f.path),
  }, newest.thresholds, new Date(newest.validationTime));
  for (const a of view.adcs) {
    const snapshotRun = [...ordered].reverse().find((c) => c.snapshots.some((s) => s.source === a.source))?.run.id;
    if (!snapshotRun) continue;
    for (const t of a.templates) note("template", t.template.dn, snapshotRun);
    for (const ca of a.enterpriseCas) note("enterprise-ca", ca.dn, snapshotRun);
  }

  const findings = newestByKey(ordered.map((c) => c.findings), (f) => f.id);
  return {
    runs: ordered.map((c) => c.run),
    view,
    findings,
    ruleOutcomes: mergeOutcomes(ordered.map((c) => c.ruleOutcomes), findings),
    runOf: (kind, id) => seenIn.get(`${kind}\u0000${id}`),
  };
}

/** A rule evaluated in any run was evaluated over the union; objects examined add up, findings are the union's. */
function mergeOutcomes(perRun: readonly (readonly RuleOutcome[])[], findings: readonly Finding[]): RuleOutcome[] {
  const merged = new Map<string, RuleOutcome>();
  for (const outcomes of perRun) {
    for (const o of outcomes) {
      const seen = merged.get(o.ruleId);
      if (!seen) {
        merged.set(o.ruleId, { ...o });
        continue;
      }
      seen.examined += o.examined;
      seen.failures += o.failures;
      if (o.status === "evaluated" || (o.status === "failed" && seen.status === "not-applicable")) seen.status = o.status;
    }
  }
  const found = groupBy(findings, (f) => f.ruleId);
  return [...merged.values()].map((o) => ({ ...o, findings: found.get(o.ruleId)?.length ?? 0 }));
}

/** The same references, each naming the run its object was seen in (a reference that names one already keeps it). */
export function citeRuns(refs: readonly EvidenceRef[], runOf: RunUnion["runOf"]): EvidenceRef[] {
  return refs.map((ref) => {
    const run = ref.run ?? runOf(ref.kind, ref.id);
    return run ? { ...ref, run } : ref;
  });
}

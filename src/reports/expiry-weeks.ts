// Certificates in service expiring in each of the next EXPIRY_WEEKS weeks, counted from the
// view's validation time (week 1: its next 7 days), for the report's trends: part of the report
// model, from the run's view. Certificates already expired, or expiring later, are in no week.
import { EVIDENCE_LIMIT } from "../maturity/metrics.js";
import { EXPIRY_WEEKS, type ExpiryWeek } from "../model/trends.js";
import { type InventoryView, inServiceCertificates } from "../inventory/inventory.js";

const WEEK_MS = 7 * 86_400_000;

export function expiryWeeks(view: InventoryView): ExpiryWeek[] {
  const start = view.now.getTime();
  const weeks = Array.from({ length: EXPIRY_WEEKS }, (_, i) => ({ week: i + 1, expiring: [] as { sha256: string; at: number }[] }));
  for (const c of inServiceCertificates(view)) {
    const at = Date.parse(c.record.notAfter);
    const index = Math.floor((at - start) / WEEK_MS);
    if (at >= start && index < EXPIRY_WEEKS) weeks[index]!.expiring.push({ sha256: c.sha256, at });
  }
  return weeks.map(({ week, expiring }) => ({
    week,
    from: new Date(start + (week - 1) * WEEK_MS).toISOString(),
    to: new Date(start + week * WEEK_MS).toISOString(),
    count: expiring.length,
    certificates: expiring.sort((a, b) => a.at - b.at || (a.sha256 < b.sha256 ? -1 : 1)).slice(0, EVIDENCE_LIMIT).map((e) => e.sha256),
  }));
}

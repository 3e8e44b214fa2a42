// What `pkiscope alert` tells the sinks: events derived from the diff of a run against the previous
// complete run of its profile (so an open finding alerts once, and again only after it was resolved
// and reopened), or from the run record of a run that did not complete.
import type { Severity } from "./types.js";

export const ALERT_KINDS = [
  "finding-opened", "expiry-threshold", "certificate-vanished", "endpoint-vanished", "maturity-regression", "run-failed",
] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

export interface AlertEvent {
  kind: AlertKind;
  severity: Severity;
  summary: string;
  /** Owner and tags of the profile network or file source the object belongs to; null and [] when none says. */
  owner: string | null;
  tags: string[];
  /** Stable ids of what the event is about. */
  finding: string | null;
  ruleId: string | null;
  certificates: string[];
  endpoints: string[];
  /** The run the event was found in and the run it was compared with (null: the profile's first run, or a failed run). */
  run: string;
  previousRun: string | null;
}

/** What one sink receives: the events of one run it routes to, as one JSON document. */
export interface AlertBatch {
  profile: string;
  run: string;
  previousRun: string | null;
  events: AlertEvent[];
}

export type SinkType = "webhook" | "email" | "command";

export interface DeliveryResult {
  sink: SinkType;
  /** The sink as it may be logged: a webhook's origin, the SMTP host, the command's program; never a secret. */
  target: string;
  events: number;
  delivered: boolean;
  attempts: number;
  /** Why delivery failed, without secrets. */
  error: string | null;
}

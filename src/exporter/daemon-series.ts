// The daemon's own counts as Prometheus series, served beside the store's (startMetricsServer's
// `alongside`): runs started, completed, interrupted and failed, and due runs skipped (quiet hours,
// previous run still going), per profile, since the daemon started. Unlike the store's series,
// which are rebuilt from the store on every scrape, these live in the daemon's memory.
import { Counter, Registry } from "prom-client";
import type { ScheduleCount } from "../daemon/scheduler.js";

const SKIP_REASONS = { skippedQuiet: "quiet_hours", skippedBusy: "already_running" } as const;
type RunCount = Exclude<ScheduleCount, keyof typeof SKIP_REASONS>;

export class DaemonSeries {
  readonly registry = new Registry();
  private readonly runs: Record<RunCount, Counter<"profile">>;
  private readonly skipped: Counter<"profile" | "reason">;

  /** Every series starts at 0 for every scheduled profile, so a rate is defined before the first event. */
  constructor(profiles: readonly string[]) {
    const registers = [this.registry];
    const runs = (name: RunCount, help: string): Counter<"profile"> =>
      new Counter({ name: `pkiscope_daemon_runs_${name}_total`, help, labelNames: ["profile"], registers });
    this.runs = {
      started: runs("started", "Runs the daemon started, per profile, since it started."),
      completed: runs("completed", "Runs of the daemon that completed, per profile."),
      interrupted: runs("interrupted", "Runs of the daemon stopped by SIGTERM or SIGINT and saved incomplete, per profile."),
      failed: runs("failed", "Runs of the daemon that failed (recorded failed in the store, with the error), per profile."),
    };
    this.skipped = new Counter({
      name: "pkiscope_daemon_runs_skipped_total",
      help: "Runs due on the schedule that the daemon skipped, per profile and reason (quiet_hours, already_running: the previous run still going).",
      labelNames: ["profile", "reason"], registers,
    });
    for (const profile of profiles) {
      for (const counter of Object.values(this.runs)) counter.inc({ profile }, 0);
      for (const reason of Object.values(SKIP_REASONS)) this.skipped.inc({ profile, reason }, 0);
    }
  }

  count(profile: string, count: ScheduleCount): void {
    if (count === "skippedQuiet" || count === "skippedBusy") this.skipped.inc({ profile, reason: SKIP_REASONS[count] });
    else this.runs[count].inc({ profile });
  }
}

// Runs profiles on their cron schedules (croner, seconds allowed): one run of a profile at a
// time (a tick while the previous run goes on is skipped), no run started inside the profile's
// quiet hours (skipped, not delayed: the next tick outside the window runs), and a run that
// throws is logged and counted while the schedule goes on. The caller's signal stops it all: no
// tick starts a run once it is aborted, and the runs in flight see the same signal (a scan then
// saves what it has, marked incomplete).
import { Cron } from "croner";
import type { QuietHours } from "../config/schema.js";
import type { Logger } from "../log.js";
import { withinQuietHours } from "./quiet-hours.js";

export interface ScheduledProfile {
  name: string;
  /** Cron pattern; a leading sixth field is seconds. */
  schedule: string;
  quietHours?: QuietHours;
}

export interface SchedulerCounts {
  started: number;
  succeeded: number;
  failed: number;
  skippedBusy: number;
  skippedQuiet: number;
}

export interface SchedulerOptions {
  profiles: readonly ScheduledProfile[];
  /** One run of a profile; it should stop early (and still resolve) once `signal` is aborted. */
  runProfile(name: string, signal: AbortSignal): Promise<void>;
  log: Logger;
  signal: AbortSignal;
  /** The clock quiet hours are judged by; default the system's. */
  now?: () => Date;
}

/** Schedules every profile until `signal` is aborted; resolves once the runs in flight have ended. */
export async function runSchedule(options: SchedulerOptions): Promise<SchedulerCounts> {
  const { log, signal } = options;
  const now = options.now ?? (() => new Date());
  const counts: SchedulerCounts = { started: 0, succeeded: 0, failed: 0, skippedBusy: 0, skippedQuiet: 0 };
  const inFlight = new Map<string, Promise<void>>();

  const tick = (profile: ScheduledProfile): void => {
    if (signal.aborted) return;
    if (inFlight.has(profile.name)) {
      counts.skippedBusy++;
      log.warn(`profile ${profile.name}: due, but its previous run is still going; skipped`, { skippedBusy: counts.skippedBusy });
      return;
    }
    if (profile.quietHours && withinQuietHours(profile.quietHours, now())) {
      counts.skippedQuiet++;
      log.info(`profile ${profile.name}: due inside quiet hours ${profile.quietHours.window} ${profile.quietHours.timezone}; skipped`, { skippedQuiet: counts.skippedQuiet });
      return;
    }
    counts.started++;
    log.info(`profile ${profile.name}: run starting`);
    const run = options.runProfile(profile.name, signal).then(
      () => {
        counts.succeeded++;
      },
      (err: unknown) => {
        counts.failed++;
        log.error(`profile ${profile.name}: run failed: ${err instanceof Error ? err.message : String(err)}`, { failed: counts.failed });
      },
    ).finally(() => inFlight.delete(profile.name));
    inFlight.set(profile.name, run);
  };

  const jobs = options.profiles.map((p) => new Cron(p.schedule, { name: p.name }, () => tick(p)));
  for (const p of options.profiles) log.info(`profile ${p.name}: scheduled "${p.schedule}"`);
  if (!signal.aborted) await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
  for (const job of jobs) job.stop();
  await Promise.all(inFlight.values());
  return counts;
}

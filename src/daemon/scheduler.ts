// Runs profiles on their cron schedules (croner, seconds allowed): one run of a profile at a
// time (a tick while the previous run goes on is skipped), no run started inside the profile's
// quiet hours (skipped, not delayed: the next tick outside the window runs), and a run that
// throws is logged and counted while the schedule goes on. Every count is also told per profile
// (onCount), for the daemon's metrics. The caller's signal stops it all: no
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
  completed: number;
  /** Stopped by the signal, saved incomplete. */
  interrupted: number;
  failed: number;
  /** Due while the profile's previous run was still going. */
  skippedBusy: number;
  skippedQuiet: number;
}

export type ScheduleCount = keyof SchedulerCounts;

/** How a run of a profile ended when it did not throw. */
export type RunEnd = "complete" | "interrupted";

export interface SchedulerOptions {
  profiles: readonly ScheduledProfile[];
  /** One run of a profile; it should stop early (and still resolve) once `signal` is aborted. */
  runProfile(name: string, signal: AbortSignal): Promise<RunEnd>;
  /** Told of every count as it happens, with the profile it is of. */
  onCount?(profile: string, count: ScheduleCount): void;
  log: Logger;
  signal: AbortSignal;
  /** The clock quiet hours are judged by; default the system's. */
  now?: () => Date;
}

/** Schedules every profile until `signal` is aborted; resolves once the runs in flight have ended. */
export async function runSchedule(options: SchedulerOptions): Promise<SchedulerCounts> {
  const { log, signal } = options;
  const now = options.now ?? (() => new Date());
  const counts: SchedulerCounts = { started: 0, completed: 0, interrupted: 0, failed: 0, skippedBusy: 0, skippedQuiet: 0 };
  const inFlight = new Map<string, Promise<void>>();
  const count = (profile: string, key: ScheduleCount): number => {
    options.onCount?.(profile, key);
    return ++counts[key];
  };

  const tick = (profile: ScheduledProfile): void => {
    if (signal.aborted) return;
    if (inFlight.has(profile.name)) {
      const skippedBusy = count(profile.name, "skippedBusy");
      log.warn(`profile ${profile.name}: due, but its previous run is still going; skipped`, { skippedBusy });
      return;
    }
    if (profile.quietHours && withinQuietHours(profile.quietHours, now())) {
      const skippedQuiet = count(profile.name, "skippedQuiet");
      log.info(`profile ${profile.name}: due inside quiet hours ${profile.quietHours.window} ${profile.quietHours.timezone}; skipped`, { skippedQuiet });
      return;
    }
    count(profile.name, "started");
    log.info(`profile ${profile.name}: run starting`);
    const run = options.runProfile(profile.name, signal).then(
      (end) => {
        count(profile.name, end === "complete" ? "completed" : "interrupted");
      },
      (err: unknown) => {
        const failed = count(profile.name, "failed");
        log.error(`profile ${profile.name}: run failed: ${err instanceof Error ? err.message : String(err)}`, { failed });
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

// Quiet hours: a daily window (minutes after midnight in its own timezone) in which the daemon
// starts no scan. A window whose end is before its start spans midnight (22:00-06:00).
import type { QuietHours } from "../config/schema.js";

/** Whether `at` falls inside the window (start inclusive, end exclusive; an empty window when they are equal). */
export function withinQuietHours(quiet: Pick<QuietHours, "timezone" | "startMinute" | "endMinute">, at: Date): boolean {
  const minute = minuteOfDay(at, quiet.timezone);
  const { startMinute: start, endMinute: end } = quiet;
  return start <= end ? minute >= start && minute < end : minute >= start || minute < end;
}

function minuteOfDay(at: Date, timeZone: string): number {
  const parts = new Intl.DateTimeFormat("en-GB", { timeZone, hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).formatToParts(at);
  const field = (type: "hour" | "minute"): number => Number(parts.find((p) => p.type === type)!.value);
  return field("hour") * 60 + field("minute");
}

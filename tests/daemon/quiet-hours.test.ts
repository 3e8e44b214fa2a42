// Quiet hours are judged in their own timezone, and a window ending before it starts spans midnight.
import { describe, expect, it } from "vitest";
import { withinQuietHours } from "../../src/daemon/quiet-hours.js";

const window = (timezone: string, start: string, end: string) => {
  const minute = (t: string): number => Number(t.slice(0, 2)) * 60 + Number(t.slice(3));
  return { timezone, startMinute: minute(start), endMinute: minute(end) };
};

describe("withinQuietHours", () => {
  it("a same-day window: start inclusive, end exclusive", () => {
    const office = window("UTC", "09:00", "17:00");
    expect(withinQuietHours(office, new Date("2030-01-15T08:59:00Z"))).toBe(false);
    expect(withinQuietHours(office, new Date("2030-01-15T09:00:00Z"))).toBe(true);
    expect(withinQuietHours(office, new Date("2030-01-15T16:59:00Z"))).toBe(true);
    expect(withinQuietHours(office, new Date("2030-01-15T17:00:00Z"))).toBe(false);
  });

  it("a window spanning midnight covers both sides of it", () => {
    const night = window("UTC", "22:00", "06:00");
    expect(withinQuietHours(night, new Date("2030-01-15T23:30:00Z"))).toBe(true);
    expect(withinQuietHours(night, new Date("2030-01-16T00:00:00Z"))).toBe(true);
    expect(withinQuietHours(night, new Date("2030-01-16T05:59:00Z"))).toBe(true);
    expect(withinQuietHours(night, new Date("2030-01-16T06:00:00Z"))).toBe(false);
    expect(withinQuietHours(night, new Date("2030-01-15T12:00:00Z"))).toBe(false);
  });

  it("reads the clock of the window's timezone, summer time included", () => {
    const night = window("Europe/Amsterdam", "22:00", "06:00");
    // 21:30 UTC is 22:30 in Amsterdam in winter (UTC+1) and 23:30 in summer (UTC+2).
    expect(withinQuietHours(night, new Date("2030-01-15T21:30:00Z"))).toBe(true);
    expect(withinQuietHours(night, new Date("2030-07-15T21:30:00Z"))).toBe(true);
    // 04:30 UTC: 05:30 in winter (quiet), 06:30 in summer (not).
    expect(withinQuietHours(night, new Date("2030-01-15T04:30:00Z"))).toBe(true);
    expect(withinQuietHours(night, new Date("2030-07-15T04:30:00Z"))).toBe(false);
    const tokyo = window("Asia/Tokyo", "01:00", "02:00");
    expect(withinQuietHours(tokyo, new Date("2030-01-15T16:30:00Z"))).toBe(true);
    expect(withinQuietHours(tokyo, new Date("2030-01-15T01:30:00Z"))).toBe(false);
  });

  it("an empty window (start equals end) is never quiet", () => {
    const empty = window("UTC", "03:00", "03:00");
    expect(withinQuietHours(empty, new Date("2030-01-15T03:00:00Z"))).toBe(false);
  });
});

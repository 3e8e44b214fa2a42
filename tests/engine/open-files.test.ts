// The open-files limit as the --concurrency clamp reads it: /proc/self/limits agrees with the
// shell's `ulimit -n` (the fallback off Linux), and an unlimited limit clamps nothing.
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { RESERVED_FILE_DESCRIPTORS, clampConcurrency, openFileLimit, parseProcLimits } from "../../src/engine/open-files.js";

describe("open-files limit", () => {
  it("reads this process's soft limit, as ulimit -n reports it", () => {
    expect(openFileLimit()).toBe(Number(execFileSync("/bin/sh", ["-c", "ulimit -n"], { encoding: "utf8" }).trim()));
  });

  it("takes an unlimited soft limit as no limit, and clamps nothing under it", () => {
    const limits = "Limit                     Soft Limit           Hard Limit           Units     \nMax open files            unlimited            unlimited            files     \n";
    expect(parseProcLimits(limits)).toBeNull();
    expect(clampConcurrency(1_000_000, null)).toEqual({ concurrency: 1_000_000, warning: null });
  });

  it("leaves a concurrency that fits alone, and never clamps below a floor", () => {
    expect(clampConcurrency(512, 1024)).toEqual({ concurrency: 512, warning: null });
    expect(clampConcurrency(512, RESERVED_FILE_DESCRIPTORS).concurrency).toBe(8);
  });
});

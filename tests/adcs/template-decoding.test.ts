// Template attribute decoders: flag words (as AD sends them, signed), FILETIME intervals, the
// v4 key algorithm setting.
import { describe, expect, it } from "vitest";
import {
  ENROLLMENT_FLAG,
  NAME_FLAG,
  filetimeIntervalDays,
  flagNames,
  parseInteger32,
  templateKeyAlgorithm,
} from "../../src/inventory/adcs/template-decoding.js";

function interval(ticks: bigint): Buffer {
  const out = Buffer.alloc(8);
  out.writeBigInt64LE(ticks);
  return out;
}

describe("template attribute decoding", () => {
  it("reads signed 32-bit integers as unsigned flag words and rejects anything else", () => {
    expect(parseInteger32("-2113929216")).toBe(0x82000000);
    expect(parseInteger32("1")).toBe(1);
    expect(parseInteger32(" 524288 ")).toBe(0x80000);
    for (const bad of [undefined, "", "0x10", "1e3", "99999999999", "-2147483649", "12abc"]) expect(parseInteger32(bad)).toBeNull();
  });

  it("names set flags and keeps unknown bits visible", () => {
    expect(flagNames(0x82000001, NAME_FLAG)).toEqual([
      "CT_FLAG_ENROLLEE_SUPPLIES_SUBJECT", "CT_FLAG_SUBJECT_ALT_REQUIRE_UPN", "CT_FLAG_SUBJECT_REQUIRE_DIRECTORY_PATH",
    ]);
    expect(flagNames(0x00080002 | 0x00000200, ENROLLMENT_FLAG)).toEqual(["CT_FLAG_PEND_ALL_REQUESTS", "CT_FLAG_NO_SECURITY_EXTENSION", "0x00000200"]);
    expect(flagNames(0, NAME_FLAG)).toEqual([]);
  });

  it("decodes negative FILETIME intervals to days and refuses malformed ones", () => {
    expect(filetimeIntervalDays(interval(-365n * 864_000_000_000n))).toBe(365);
    expect(filetimeIntervalDays(interval(-(6n * 7n) * 864_000_000_000n))).toBe(42);
    expect(filetimeIntervalDays(interval(-432_000_000_000n))).toBe(0.5);
    expect(filetimeIntervalDays(interval(864_000_000_000n))).toBeNull(); // positive: an absolute time, not an interval
    expect(filetimeIntervalDays(Buffer.alloc(7))).toBeNull();
    expect(filetimeIntervalDays(undefined)).toBeNull();
  });

  it("reads the key algorithm of v4 templates, RSA otherwise", () => {
    expect(templateKeyAlgorithm(["msPKI-Asymmetric-Algorithm`PZPWSTR`ECDH_P256`msPKI-Hash-Algorithm`PZPWSTR`SHA256`"])).toBe("ECDH_P256");
    expect(templateKeyAlgorithm(["1.3.6.1.4.1.311.20.2.1"])).toBe("RSA");
    expect(templateKeyAlgorithm([])).toBe("RSA");
  });
});

// `pkiscope scan --ldap` end to end, as a user runs it: an LDAP-only scan (no --targets) of the
// lab DC, with the password taken from an environment variable. The password must not appear
// in stdout, stderr, the report files, the database or a process listing of the running scan;
// the report follows the published schema.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import { runToEnd, spawnCli } from "../cli/cli-helpers.js";
import { adcsLab, labPassword } from "./lab.js";

const lab = adcsLab();
const validateReport = new Ajv({ allErrors: true }).compile(
  JSON.parse(readFileSync(new URL("../../docs/report.schema.json", import.meta.url), "utf8")) as object,
);

/** What /proc/PID/cmdline and `ps` show while the process runs: the password must come from the environment, never argv. */
async function processListingsUntil(pid: number, ended: Promise<unknown>): Promise<string[]> {
  let running = true;
  void ended.then(() => (running = false));
  const listings: string[] = [];
  while (running) {
    try {
      listings.push(readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " "));
    } catch {
      // It exited between the check and the read.
    }
    listings.push(execFileSync("ps", ["-eww", "-o", "args"], { encoding: "utf8" }));
    await new Promise((r) => setTimeout(r, 100));
  }
  return listings;
}

describe("pkiscope scan --ldap", () => {
  it("scans AD CS alone, reports the findings and leaks the password nowhere, process listings included", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pkiscope-adcs-cli-"));
    writeFileSync(join(dir, "roots.pem"), lab.manifest.sanctionedRootsPem);
    const db = join(dir, "pkiscope.db");
    const out = join(dir, "report");
    const child = spawnCli([
      "scan", "--ldap", lab.ldapsUrl, "--bind-dn", lab.bindDn, "--password-env", "PKISCOPE_LAB_BIND_PASSWORD", "--ldap-insecure",
      "--trust-anchors", join(dir, "roots.pem"), "--no-fetch", "--db", db, "--out", out, "--no-progress", "--verbose",
    ], { PKISCOPE_LAB_BIND_PASSWORD: labPassword() });
    const ended = runToEnd(child);
    const listings = await processListingsUntil(child.pid!, ended);
    const { code, output } = await ended;
    expect(listings.some((l) => l.includes("--password-env PKISCOPE_LAB_BIND_PASSWORD")), "the running scan was seen").toBe(true);
    for (const listing of listings) expect(listing.includes(labPassword()), "a process listing shows the password").toBe(false);
    expect(output).toContain("templates");
    expect(code).toBe(0);
    const report = JSON.parse(readFileSync(join(out, "report.json"), "utf8")) as { findings: { ruleId: string }[] };
    expect(report.findings.map((f) => f.ruleId)).toEqual(expect.arrayContaining(lab.manifest.expectedFindings.map((e) => e.ruleId)));
    validateReport(report);
    expect(JSON.stringify(validateReport.errors ?? [])).toBe("[]");
    expect((report as unknown as { inventory: { adcs: { forests: unknown[] } } }).inventory.adcs.forests).toHaveLength(1);

    const files = [...readdirSync(out).map((f) => join(out, f)), ...readdirSync(dir).filter((f) => f.startsWith("pkiscope.db")).map((f) => join(dir, f))];
    for (const [where, content] of [["output", Buffer.from(output)], ...files.map((f) => [f, readFileSync(f)] as const)] as const) {
      expect(content.includes(labPassword()), `${where} contains the password`).toBe(false);
      expect(content.includes(Buffer.from(labPassword(), "utf16le")), `${where} contains it as UTF-16`).toBe(false);
    }
  });

  // Issue 13 item 7: a wrong password is the LDAP source's recorded error, not an input error: the
  // scan completes (exit 0, as the README's exit codes say), with one warning naming the source and the bind.
  it("records a wrong password as the source's bind error, warns once and exits 0", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pkiscope-adcs-cli-wrong-"));
    const wrong = "Wr0ng-Cli-Secret-41";
    const { code, output } = await runToEnd(spawnCli([
      "scan", "--ldap", lab.ldapsUrl, "--bind-dn", lab.bindDn, "--password-env", "PKISCOPE_LAB_WRONG_PASSWORD", "--ldap-insecure",
      "--no-fetch", "--db", join(dir, "pkiscope.db"), "--out", join(dir, "report"), "--no-progress",
    ], { PKISCOPE_LAB_WRONG_PASSWORD: wrong }));
    expect(code).toBe(0);
    const problems = output.split("\n").filter((line) => /^(warn|error): /.test(line));
    expect(problems).toEqual([expect.stringMatching(/^warn: adcs ldaps:\/\/\S+: bind: .*(credential|49|invalid)/i)]);
    expect(output).toMatch(/^run \S+ complete/m);
    expect(output).not.toMatch(/^\s+at /m);
    expect(output).not.toContain(wrong);
    const report = JSON.parse(readFileSync(join(dir, "report", "report.json"), "utf8")) as { inventory: { adcs: { forests: unknown[] } } };
    expect(JSON.stringify(report)).toMatch(/"context":"bind"/);
    expect(JSON.stringify(report)).not.toContain(wrong);
  });
});

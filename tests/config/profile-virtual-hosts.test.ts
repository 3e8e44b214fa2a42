// A profile's virtual hosts (networks' sniNames) and protocol posture (protocols: true) become the
// scan plan as --sni-names and --protocols would; a bad sniNames line is one error with its line
// and field.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildScanPlan } from "../../src/cli/scan-command.js";
import { expandProbes } from "../../src/targets/targets.js";
import { SCAN_OPTIONS } from "../cli/cli-helpers.js";

let dir: string;
const base = SCAN_OPTIONS;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pkiscope-profile-vhosts-"));
  await writeFile(join(dir, "pkiscope.yaml"), [
    "profiles:",
    "  dmz:",
    "    protocols: true",
    "    networks:",
    "      - targets: [192.0.2.10]",
    "        ports: [443]",
    "        owner: web",
    '        sniNames: ["shop.example.test 192.0.2.20", "www.example.test"]',
    "      - targets: [198.51.100.1]",
    "        ports: [8443]",
    "",
  ].join("\n"));
  await writeFile(join(dir, "bad.yaml"), 'profiles:\n  dmz:\n    networks:\n      - targets: [192.0.2.10]\n        sniNames: ["www.example.test 192.0.2.20 extra"]\n');
});

afterAll(() => rm(dir, { recursive: true, force: true }));

describe("a profile's virtual hosts and protocol posture", () => {
  it("probes each network's names at its ports (a bare name at its own address targets only) and turns posture on", async () => {
    const plan = await buildScanPlan({ ...base, config: join(dir, "pkiscope.yaml"), profile: "dmz" });
    expect(plan.protocols).toBe(true);
    expect([...expandProbes(plan.specs, plan.ports)].map((p) => `${p.address}:${p.port}${p.sni ? `#${p.sni}` : ""}`)).toEqual([
      "192.0.2.10:443", "192.0.2.20:443#shop.example.test", "192.0.2.10:443#www.example.test", "198.51.100.1:8443",
    ]);
    // The addressed name joins its network's recorded targets, so its endpoint has the network's owner.
    expect(plan.profile!.networks[0]!.targets).toEqual(["192.0.2.10", "shop.example.test@192.0.2.20"]);
  });

  it("refuses a bad sniNames line, naming its line and field", async () => {
    const error = await buildScanPlan({ ...base, config: join(dir, "bad.yaml"), profile: "dmz" }).then(() => null, (err: Error) => err.message);
    expect(error).toMatch(/bad\.yaml:5: at profiles\.dmz\.networks\.0\.sniNames\.0: expected "name" or "name address", got 3 fields/);
  });
});

// The config file: the shipped example loads; every kind of mistake is one error naming the
// file, the line and the field; inline secrets and bad cron expressions are refused.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig, loadProfile } from "../../src/config/load.js";
import { THRESHOLDS } from "../../src/engine/defaults.js";

const EXAMPLE = new URL("../../docs/examples/pkiscope.yaml", import.meta.url).pathname;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pkiscope-config-"));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function configError(text: string): Promise<{ file: string; message: string }> {
  const file = join(dir, `config-${Math.random().toString(36).slice(2)}.yaml`);
  await writeFile(file, text);
  const message = await loadConfig(file, THRESHOLDS).then(() => "loaded without error", (err: Error) => err.message);
  return { file, message };
}

describe("loadConfig", () => {
  it("loads the example in docs/examples with every kind of setting", async () => {
    const config = await loadConfig(EXAMPLE, THRESHOLDS);
    const dmz = config.profiles.dmz!;
    expect(dmz.networks.map((n) => [n.owner, n.site, n.tags])).toEqual([
      ["web-platform", "ams1", ["prod", "internet-facing"]], ["messaging", "ams1", ["prod"]],
    ]);
    expect(dmz.networks[0]!.ports).toEqual([443, 8443]);
    expect(dmz.thresholds).toEqual({ "expiry-days": 45 });
    expect(dmz.quietHours).toMatchObject({ window: "22:00-06:00", timezone: "Europe/Amsterdam", startMinute: 22 * 60, endMinute: 6 * 60 });
    expect(dmz.sinks.map((s) => s.type)).toEqual(["webhook", "email", "command"]);
    expect(config.profiles["corp-ad"]!.ldap).toMatchObject({ passwordEnv: "PKISCOPE_LDAP_PASSWORD", auth: "simple" });
  });

  const cases: [string, string, number, string, string][] = [
    ["a port out of range", "profiles:\n  web:\n    networks:\n      - targets: [127.0.0.1]\n        ports: [443, 70000]\n", 5, "profiles.web.networks.0.ports.1", "65535"],
    ["an unknown field", "profiles:\n  web:\n    networks: []\n    networkz: []\n", 4, "profiles.web.networkz", 'unknown field "networkz"'],
    ["a missing field", "profiles:\n  web:\n    networks:\n      - owner: ops\n", 4, "profiles.web.networks.0.targets", "required"],
    ["a bad target", "profiles:\n  web:\n    networks:\n      - targets:\n          - 10.0.0.0/24\n          - 10.0.0.300\n", 6, "profiles.web.networks.0.targets.1", "10.0.0.300"],
    ["a bad cron expression", "profiles:\n  web:\n    networks: []\n    schedule: \"61 * * * *\"\n", 4, "profiles.web.schedule", "minute"],
    ["quiet hours that are not HH:MM-HH:MM", "profiles:\n  web:\n    quietHours:\n      window: 22-06\n      timezone: UTC\n", 4, "profiles.web.quietHours.window", "HH:MM-HH:MM"],
    ["an unknown timezone", "profiles:\n  web:\n    quietHours: { window: '22:00-06:00', timezone: Mars/Olympus }\n", 3, "profiles.web.quietHours.timezone", "Mars/Olympus"],
    ["an unknown threshold", "profiles:\n  web:\n    thresholds:\n      expiry-days: 10\n      bogus: 3\n", 5, "profiles.web.thresholds.bogus", "expiry-days"],
    ["an unknown sink type", "profiles:\n  web:\n    sinks:\n      - type: pager\n", 4, "profiles.web.sinks.0.type", "webhook"],
    ["an email sink with a bad address", "profiles:\n  web:\n    sinks:\n      - type: email\n        smtp: { host: mail.example }\n        from: pkiscope\n        to: [ops@example.com]\n", 6, "profiles.web.sinks.0.from", "email"],
    ["an inline secret", "profiles:\n  web:\n    sinks:\n      - type: webhook\n        url: https://hooks.example/x\n        secret: hunter2\n", 6, "profiles.web.sinks.0.secret", "environment variable"],
    ["an inline LDAP password", "profiles:\n  ad:\n    ldap:\n      urls: [ldaps://dc.example]\n      bindDn: svc\n      password: hunter2\n", 6, "profiles.ad.ldap.password", "inline secret"],
    ["a URL with a password", "profiles:\n  web:\n    sinks:\n      - type: webhook\n        url: https://user:hunter2@hooks.example/x\n        secretEnv: HOOK\n", 5, "profiles.web.sinks.0.url", "password"],
  ];
  it.each(cases)("refuses %s, naming the file, line %i and the field", async (_what, text, line, field, problem) => {
    const { file, message } = await configError(text);
    expect(message.startsWith(`${file}:${line}: at ${field}: `)).toBe(true);
    expect(message).toContain(problem);
    expect(message).not.toContain("\n");
    expect(message).not.toContain("hunter2");
  });

  it("reports YAML syntax errors and duplicate keys at their line", async () => {
    const duplicate = await configError("profiles:\n  web: {}\n  web: {}\n");
    expect(duplicate.message).toMatch(new RegExp(`^${duplicate.file}:3: .*unique`));
    const syntax = await configError("profiles:\n  web:\n    networks: [127.0.0.1\n    files: []\n");
    expect(syntax.message).toMatch(new RegExp(`^${syntax.file}:[34]: `));
  });

  it("refuses a file with no profiles", async () => {
    expect((await configError("")).message).toMatch(/:1: at profiles: required/);
    expect((await configError("profiles: {}\n")).message).toMatch(/:1: at profiles: define at least one profile/);
  });
});

describe("loadProfile", () => {
  it("finds a profile by name, and names the profiles there are otherwise", async () => {
    expect((await loadProfile(EXAMPLE, "corp-ad", THRESHOLDS)).schedule).toBe("30 2 * * 1");
    await expect(loadProfile(EXAMPLE, "nope", THRESHOLDS)).rejects.toThrow(`${EXAMPLE} has no profile "nope" (it has: dmz, corp-ad)`);
    await expect(loadProfile(EXAMPLE, undefined, THRESHOLDS)).rejects.toThrow("--config needs --profile NAME");
  });
});

// Vitest global setup for the AD CS tests: installs Samba if missing, provisions and starts one
// AD domain controller on loopback for the whole run, loads the lab into it, and hands the
// connection settings and the lab manifest to the tests (inject("adcsLab")). Stops it at the end.
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { TestProject } from "vitest/node";
import { loadLab } from "../../fixtures/adcs/load-lab.js";
import { type AdcsLab, LAB_PASSWORD_ENV, labPassword } from "./lab.js";

const run = promisify(execFile);
const SCRIPT = fileURLToPath(new URL("../../scripts/samba-dc.sh", import.meta.url));
/** Installing Samba takes about a minute on a fresh machine; provisioning about ten seconds. */
const SCRIPT_TIMEOUT_MS = 10 * 60_000;

async function samba(command: "install" | "start" | "stop" | "env", password: string): Promise<string> {
  const { stdout } = await run("bash", [SCRIPT, command], {
    env: { ...process.env, [LAB_PASSWORD_ENV]: password },
    timeout: SCRIPT_TIMEOUT_MS,
    maxBuffer: 16 * 1024 * 1024,
  });
  return stdout;
}

function parseEnv(text: string): Record<string, string> {
  return Object.fromEntries(text.split("\n").filter((line) => line.includes("=")).map((line) => {
    const at = line.indexOf("=");
    return [line.slice(0, at), line.slice(at + 1)];
  }));
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const password = labPassword();
  await samba("install", password);
  await samba("start", password);
  const env = parseEnv(await samba("env", password));
  const connection = {
    ldapsUrl: env.PKISCOPE_TEST_LDAPS_URL!,
    ldapUrl: env.PKISCOPE_TEST_LDAP_URL!,
    bindDn: env.PKISCOPE_TEST_LDAP_BIND_DN!,
    baseDn: env.PKISCOPE_TEST_LDAP_BASE_DN!,
    domain: env.PKISCOPE_TEST_LDAP_DOMAIN!,
  };
  const manifest = await loadLab({ ...connection, password });
  const lab: AdcsLab = { ...connection, sambaDir: env.PKISCOPE_SAMBA_DIR!, manifest };
  project.provide("adcsLab", lab);
  return async () => {
    await samba("stop", password);
  };
}

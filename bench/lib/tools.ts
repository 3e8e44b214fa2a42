// External comparison tools: found on PATH, or installed once through
// scripts/install-bench-tools.sh (apt-get). The outcome is cached for the whole bench run, so
// every benchmark can ask without re-running the installer.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { runQuiet } from "./measure.js";

export interface ToolStatus {
  available: boolean;
  /** First line of `<tool> --version`, when available. */
  version?: string;
  /** Why it is not available (installer output tail), when not. */
  reason?: string;
  /** The installer ran during this bench run. */
  installed?: boolean;
}

/** Installers for tools the benchmarks know; anything else must be on PATH. */
const INSTALLERS: Record<string, string> = {
  nmap: "scripts/install-bench-tools.sh",
};
const INSTALL_TIMEOUT_MS = 10 * 60_000;

const cache = new Map<string, Promise<ToolStatus>>();

export function toolStatus(tool: string, repoRoot: string): Promise<ToolStatus> {
  let status = cache.get(tool);
  if (!status) {
    status = resolveTool(tool, repoRoot);
    cache.set(tool, status);
  }
  return status;
}

async function resolveTool(tool: string, repoRoot: string): Promise<ToolStatus> {
  const present = await versionOf(tool);
  if (present) return { available: true, version: present };
  const installer = INSTALLERS[tool];
  if (!installer) return { available: false, reason: `${tool} is not on PATH and the bench has no installer for it` };
  process.stderr.write(`bench: ${tool} not found; running ${installer}\n`);
  const run = await runQuiet("bash", [join(repoRoot, installer)], { cwd: repoRoot, timeoutMs: INSTALL_TIMEOUT_MS, echo: true });
  const after = await versionOf(tool);
  if (after) return { available: true, version: after, installed: true };
  const why = run.error ?? `${installer} exited ${run.code ?? "abnormally"}`;
  return { available: false, reason: `${tool} could not be installed (${why}); see the installer output above` };
}

function versionOf(tool: string): Promise<string | null> {
  return new Promise((resolve) => {
    const child = spawn(tool, ["--version"], { stdio: ["ignore", "pipe", "ignore"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.once("error", () => resolve(null));
    child.once("close", (code) => {
      const first = out.split("\n").find((l) => l.trim().length > 0);
      resolve(code === 0 ? (first?.trim() ?? tool) : null);
    });
  });
}

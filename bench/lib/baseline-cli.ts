// An earlier pkiscope to measure beside this one: its built CLI, from a git worktree at `ref`
// under the bench's scratch directory, sharing this checkout's node_modules.
import { existsSync, symlinkSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { runQuiet } from "./measure.js";

/** The baseline's dist/src/cli/main.js, built once per ref; null if it cannot be built. */
export async function baselineCli(repoRoot: string, workDir: string, ref: string): Promise<string | null> {
  const dir = join(workDir, `baseline-${ref}`);
  const main = join(dir, "dist/src/cli/main.js");
  if (existsSync(main)) return main;
  process.stderr.write(`bench: building pkiscope ${ref} in ${dir}...\n`);
  await rm(dir, { recursive: true, force: true });
  await runQuiet("git", ["worktree", "prune"], { cwd: repoRoot, timeoutMs: 60_000 });
  const added = await runQuiet("git", ["worktree", "add", "--detach", dir, ref], { cwd: repoRoot, timeoutMs: 120_000 });
  if (added.code !== 0) return null;
  symlinkSync(join(repoRoot, "node_modules"), join(dir, "node_modules"));
  const built = await runQuiet(process.execPath, [join(repoRoot, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.build.json"], { cwd: dir, timeoutMs: 300_000 });
  return built.code === 0 || existsSync(main) ? main : null;
}

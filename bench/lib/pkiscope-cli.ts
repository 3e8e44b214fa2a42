// How the benchmarks start pkiscope as a user would: the built CLI (dist/src/cli/main.js), built
// first when missing or older than the sources. If the build fails, the CLI runs from source
// through tsx instead (slower start-up) and the benchmark says so.
import { existsSync } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { runQuiet } from "./measure.js";

export interface PkiscopeCli {
  command: string;
  /** Arguments before the subcommand, e.g. ["dist/src/cli/main.js"]. */
  prefixArgs: string[];
  /** How it is run, for the printed setup. */
  how: string;
  /** Set when the built CLI could not be used. */
  warning?: string;
}

const SOURCE_DIRS = ["src", "collectors", "rules", "fixtures"];
const BUILD_TIMEOUT_MS = 5 * 60_000;
/** Bounds the source walk (the tree has a few hundred files). */
const MAX_WALK_ENTRIES = 20_000;

let resolved: Promise<PkiscopeCli> | null = null;

export function pkiscopeCli(repoRoot: string): Promise<PkiscopeCli> {
  resolved ??= resolveCli(repoRoot);
  return resolved;
}

async function resolveCli(repoRoot: string): Promise<PkiscopeCli> {
  const main = join(repoRoot, "dist/src/cli/main.js");
  const built = { command: process.execPath, prefixArgs: [main] };
  const builtAt = existsSync(main) ? (await stat(main)).mtimeMs : null;
  const newestSource = await newestMtime(SOURCE_DIRS.map((d) => join(repoRoot, d)));
  if (builtAt !== null && builtAt >= newestSource) return { ...built, how: "built CLI (dist/src/cli/main.js, up to date)" };

  process.stderr.write(`bench: dist is ${builtAt === null ? "missing" : "older than the sources"}; running npm run build\n`);
  const buildStarted = Date.now();
  const build = await runQuiet("npm", ["run", "build"], { cwd: repoRoot, timeoutMs: BUILD_TIMEOUT_MS });
  if (build.code === 0 && existsSync(main)) return { ...built, how: "built CLI (dist/src/cli/main.js, rebuilt by the bench)" };

  const tail = build.output.trim().split("\n").slice(-5).join(" | ");
  // tsc emits despite type errors: a dist written by this very build is still today's code.
  if (existsSync(main) && (await stat(main)).mtimeMs >= buildStarted - 1000) {
    return {
      ...built,
      how: "built CLI (dist/src/cli/main.js, emitted by a build that reported errors)",
      warning: `npm run build reported errors (${tail}); tsc emitted dist anyway and the bench used it`,
    };
  }
  return {
    command: process.execPath,
    prefixArgs: ["--import", "tsx", join(repoRoot, "src/cli/main.ts")],
    how: "CLI from source through tsx (npm run build failed)",
    warning: `npm run build failed (${build.error ?? `exit ${build.code}`}: ${tail}); pkiscope ran through tsx, whose start-up adds time`,
  };
}

async function newestMtime(roots: string[]): Promise<number> {
  let newest = 0;
  let budget = MAX_WALK_ENTRIES;
  const stack = [...roots];
  while (stack.length > 0 && budget > 0) {
    const dir = stack.pop()!;
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const e of entries) {
      if (--budget <= 0) break;
      const path = join(dir, e.name);
      if (e.isDirectory()) stack.push(path);
      else if (e.isFile() && e.name.endsWith(".ts")) newest = Math.max(newest, (await stat(path)).mtimeMs);
    }
  }
  return newest;
}

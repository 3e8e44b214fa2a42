// `pkiscope diff`: what changed between two stored runs. Reads the store only.
import { readRunDiff, pairRuns } from "../engine/diff.js";
import { UsageError } from "../errors.js";
import type { RunInfo } from "../model/types.js";
import { DIFF_FORMATS, type DiffFormat, renderDiff } from "../reports/diff.js";
import { displayStoreSpec, openStore } from "../store/open.js";
import type { CliIo, GlobalOptions } from "./index.js";

export interface DiffCommandOptions extends GlobalOptions {
  from?: string;
  to?: string;
  format: string;
}

export async function diffCommand(options: DiffCommandOptions, io: CliIo): Promise<number> {
  if (!DIFF_FORMATS.includes(options.format as DiffFormat)) throw new UsageError(`--format takes ${DIFF_FORMATS.join(", ")}, not "${options.format}"`);
  const store = await openStore(options.db);
  try {
    const find = async (option: string, ref: string | undefined): Promise<RunInfo | undefined> => {
      if (ref === undefined) return undefined;
      const run = await store.findRun(ref);
      if (!run) throw new UsageError(`${option}: no run "${ref}" in ${displayStoreSpec(options.db)}`);
      return run;
    };
    const from = await find("--from", options.from);
    const to = await find("--to", options.to);
    const pair = pairRuns(await store.listRuns(), { ...(from ? { from } : {}), ...(to ? { to } : {}) });
    io.stdout.write(renderDiff(await readRunDiff(store, pair.from, pair.to), options.format as DiffFormat));
    return 0;
  } finally {
    await store.close();
  }
}

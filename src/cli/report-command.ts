// `pkiscope report` and `pkiscope runs`: read the store only (report --at judges a stored run
// again as of another moment, and saves nothing).
import { judgeStoredRun } from "../engine/judge.js";
import { UsageError } from "../errors.js";
import { runState } from "../model/types.js";
import { printable } from "../printable.js";
import { readReportHistory } from "../engine/trends.js";
import { storedRunView } from "../inventory/inventory.js";
import { type Report, buildReport } from "../reports/report-model.js";
import { parseReportFormats, streamReport, writeReports } from "../reports/write.js";
import { displayStoreSpec, openStore } from "../store/open.js";
import type { Store } from "../store/store.js";
import type { CliIo, GlobalOptions } from "./index.js";
import { loggerFor } from "./support.js";
import { parseValidationTime } from "./validation-time.js";

export interface ReportCommandOptions extends GlobalOptions {
  run: string;
  format: string;
  out?: string;
  /** Re-judge the run as of this ISO 8601 time instead of rendering its saved conclusions. */
  at?: string;
  rubric?: string;
  pkicMapping?: string;
}

export async function reportCommand(options: ReportCommandOptions, io: CliIo): Promise<number> {
  const formats = parseReportFormats(options.format);
  if (!options.out && formats.length !== 1) throw new UsageError("without --out, give exactly one --format");
  const at = options.at === undefined ? null : parseValidationTime(options.at);
  if (!at && (options.rubric || options.pkicMapping)) throw new UsageError("--rubric and --pkic-mapping score a re-judgement: give --at too");
  const store = await openStore(options.db);
  try {
    const run = await store.findRun(options.run);
    if (!run) throw new UsageError(`--run: no run "${options.run}" in ${displayStoreSpec(options.db)}`);
    if (at && !run.finishedAt) throw new UsageError(`run ${run.id} never finished: it has no anchors or thresholds of its own to judge it again with`);
    const report = at
      ? await rejudgedReport(store, run.id, at, options)
      : await storedReport(store, run.id);
    if (options.out) {
      const written = await writeReports(report, options.out, formats);
      loggerFor(options, io).info(`reports: ${written.join(", ")}`);
    } else {
      await streamReport(report, formats[0]!, io.stdout);
    }
    return 0;
  } finally {
    await store.close();
  }
}

/** The run judged again as of `at`, never saved: its stored report stays the scan's. */
async function rejudgedReport(store: Store, runId: string, at: Date, options: ReportCommandOptions): Promise<Report> {
  const { view, conclusions } = await judgeStoredRun(store, runId, at, {
    ...(options.rubric ? { rubric: options.rubric } : {}),
    ...(options.pkicMapping ? { pkicMapping: options.pkicMapping } : {}),
  });
  return buildReport(view, conclusions, await readReportHistory(store, view, conclusions));
}

/** The run's report as its scan wrote it: its saved conclusions, and the history up to it. */
export async function storedReport(store: Store, runId: string): Promise<Report> {
  const contents = await store.loadRun(runId);
  const view = storedRunView(contents);
  return buildReport(view, contents, await readReportHistory(store, view, contents));
}

export async function runsCommand(options: GlobalOptions, io: CliIo): Promise<number> {
  const store = await openStore(options.db);
  try {
    for (const run of await store.listRuns()) {
      io.stdout.write(`${run.id}  ${run.startedAt}  ${runState(run).padEnd(11)}  ${printable(run.targets.join(","))}\n`);
    }
    return 0;
  } finally {
    await store.close();
  }
}

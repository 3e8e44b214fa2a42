// `pkiscope alert`: delivers the alerts of a run of a profile (by default its latest) to the
// profile's sinks. Exit 0 when every sink that had events took them, 1 when one did not.
import { deliverRunAlerts, latestProfileRun } from "../alerts/deliver.js";
import { loadProfile } from "../config/load.js";
import { secretEnvNames } from "../config/schema.js";
import { THRESHOLDS } from "../engine/defaults.js";
import { UsageError } from "../errors.js";
import { printableJson } from "../printable.js";
import { displayStoreSpec, openStore } from "../store/open.js";
import type { CliIo, GlobalOptions } from "./index.js";
import { loggerFor } from "./support.js";

export interface AlertCommandOptions extends GlobalOptions {
  config: string;
  profile: string;
  run: string;
}

export async function alertCommand(options: AlertCommandOptions, io: CliIo): Promise<number> {
  const profile = await loadProfile(options.config, options.profile, THRESHOLDS);
  const log = loggerFor(options, io);
  const store = await openStore(options.db);
  try {
    const run = options.run === "latest" ? await latestProfileRun(store, options.profile) : await store.findRun(options.run);
    if (!run) throw new UsageError(`--run: no run "${options.run}" in ${displayStoreSpec(options.db)}`);
    const alerts = await deliverRunAlerts(store, { name: options.profile, sinks: profile.sinks, secretEnv: secretEnvNames(profile) }, run.id, io.env, log);
    const against = alerts.previousRun === null ? "" : ` against run ${alerts.previousRun}`;
    log.info(`run ${alerts.run}${against}: ${alerts.events.length} alert events, ${alerts.deliveries.filter((d) => d.delivered).length} of ${alerts.deliveries.length} deliveries made`);
    if (!options.quiet) io.stdout.write(`${printableJson(JSON.stringify(alerts, null, 2))}\n`);
    return alerts.deliveries.every((d) => d.delivered) ? 0 : 1;
  } finally {
    await store.close();
  }
}

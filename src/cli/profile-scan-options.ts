// The `pkiscope scan` options of commands that scan whole profiles by name (the daemon, the
// coordinator): the profile says what to scan, the command only how hard to probe.
import { DEFAULT_FETCH } from "../engine/defaults.js";
import { DEFAULTS, type GlobalOptions } from "./index.js";
import type { ScanCommandOptions } from "./scan-command.js";

export interface ProfileProbeOptions extends GlobalOptions {
  config: string;
  concurrency: string;
  connectTimeout: string;
  handshakeTimeout: string;
  fetch: boolean;
}

/** What `pkiscope scan --config FILE --profile NAME` would be given, with the command's own probe options. */
export function profileScanOptions(options: ProfileProbeOptions, profile: string): ScanCommandOptions {
  return {
    db: options.db, config: options.config, profile,
    concurrency: options.concurrency, connectTimeout: options.connectTimeout, handshakeTimeout: options.handshakeTimeout,
    ldapTimeout: String(DEFAULTS.ldapTimeoutMs), revocation: true, fetch: options.fetch,
    fetchTimeout: String(DEFAULT_FETCH.timeoutMs), fetchMaxBytes: String(DEFAULT_FETCH.maxBytes), fetchPerHost: String(DEFAULT_FETCH.perHostConcurrency),
    // No report files of the scan's own: each run stays in the store (pkiscope report renders it).
    out: DEFAULTS.out, report: false, progress: false,
  };
}

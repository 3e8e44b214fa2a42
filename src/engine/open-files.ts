// --concurrency against the process's file descriptor limit: every probe in flight holds a socket,
// so a concurrency past the soft RLIMIT_NOFILE would end in EMFILE errors recorded as if the
// targets had failed. The scan clamps it instead, leaving room for what else holds descriptors.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

/**
 * Descriptors kept for everything but the probes' sockets: Node itself, stdio, the store (SQLite's
 * database, WAL and shared-memory files, or PostgreSQL's connection), log and report files, DNS
 * lookups and each probe worker thread's event loop. A threaded sweep at --concurrency 200 was
 * measured at 239 open descriptors (39 beyond its sockets); this is more than twice that.
 */
export const RESERVED_FILE_DESCRIPTORS = 96;
/** The least concurrency a clamp leaves, however low the limit. */
const MIN_CLAMPED_CONCURRENCY = 8;

/**
 * The soft limit on open files, or null when it is unlimited or cannot be read. Node has no
 * getrlimit: on Linux /proc/self/limits has it; elsewhere a shell's `ulimit -n`, which reports the
 * soft limit it inherited from this process.
 */
export function openFileLimit(): number | null {
  try {
    return parseProcLimits(readFileSync("/proc/self/limits", "utf8"));
  } catch {
    try {
      return parseLimit(execFileSync("/bin/sh", ["-c", "ulimit -n"], { encoding: "utf8" }).trim());
    } catch {
      return null;
    }
  }
}

/** The soft "Max open files" of a /proc/<pid>/limits text. */
export function parseProcLimits(text: string): number | null {
  const soft = /^Max open files\s+(\S+)/m.exec(text)?.[1];
  if (soft === undefined) throw new Error("no \"Max open files\" line in /proc/self/limits");
  return parseLimit(soft);
}

function parseLimit(text: string): number | null {
  return /^\d+$/.test(text) ? Number(text) : null;
}

/** The concurrency a scan may use under `limit` open files, and the warning to give when it is less than asked. */
export function clampConcurrency(requested: number, limit: number | null): { concurrency: number; warning: string | null } {
  if (limit === null) return { concurrency: requested, warning: null };
  const allowed = Math.max(MIN_CLAMPED_CONCURRENCY, limit - RESERVED_FILE_DESCRIPTORS);
  if (requested <= allowed) return { concurrency: requested, warning: null };
  return {
    concurrency: allowed,
    warning: `--concurrency ${requested} needs more file descriptors than the open-files limit allows (ulimit -n ${limit}); using ${allowed} (${RESERVED_FILE_DESCRIPTORS} kept for the store, logs, DNS and worker threads)`,
  };
}

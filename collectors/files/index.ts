// The file collector: imports certificates from PEM and DER files and directory trees
// (certificate stores, configuration repositories, exports), so they join the same inventory
// and rules as served certificates. Files are untrusted: size-capped, only regular files read.
// Symbolic links are followed (Debian's /etc/ssl/certs is a directory of links into
// /usr/share/ca-certificates), each file and directory read once by its real path, so two
// links to one file, or a link back to a parent directory, add nothing and never loop.
import { lstat, readdir, readFile, readlink, realpath, stat } from "node:fs/promises";
import { join } from "node:path";
import { certificatesInBlob } from "../../src/pki/pem.js";
import { type Collector, outcomeCounter } from "../collector.js";

export interface FileCollectorOptions {
  paths: readonly string[];
}

/** Certificate files are small; anything larger is not one, and is not read into memory. */
const MAX_FILE_BYTES = 16 * 1024 * 1024;

export const fileCollector: Collector<FileCollectorOptions> = {
  meta: { name: "files", description: "PEM and DER certificate files and directories" },
  async collect({ paths }, ctx) {
    const { tally, count } = outcomeCounter(ctx);
    // Real path → the path it was first reached by, across every root of the scan.
    const read = new Map<string, string>();
    for (const root of paths) {
      for await (const entry of walk(root, read)) {
        if (ctx.signal.aborted) return tally;
        if ("error" in entry) {
          ctx.log.warn(`cannot read ${entry.path}: ${entry.error}`);
          count("unreadable");
          continue;
        }
        if ("sameAs" in entry) {
          ctx.log.debug(`${entry.path} is ${entry.sameAs}, already read`);
          count("already-read");
          continue;
        }
        const certificates = certificatesInBlob(entry.content);
        if (certificates.length === 0) {
          count("no-certificate");
          continue;
        }
        const observedAt = new Date().toISOString();
        for (const [index, der] of certificates.entries()) {
          const location = certificates.length > 1 ? `${entry.path}#${index + 1}` : entry.path;
          await ctx.recorder.addSighting({ der, source: "file", location, position: null, observedAt });
        }
        count("imported");
      }
    }
    return tally;
  },
};

type WalkEntry =
  | { path: string; content: Buffer }
  | { path: string; error: string }
  | { path: string; sameAs: string };

const codeOf = (err: unknown): string => (err as NodeJS.ErrnoException).code ?? String(err);

/**
 * The real path `path` stands for. `inRealDirectory` is its real path if it is no link (its
 * directory's real path and its name), known without a system call; a root, or a link, is resolved.
 */
async function realPathOf(path: string, inRealDirectory: string | null): Promise<{ real: string } | { error: string }> {
  let isLink;
  try {
    isLink = (await lstat(path)).isSymbolicLink();
  } catch (err) {
    return { error: codeOf(err) };
  }
  if (inRealDirectory !== null && !isLink) return { real: inRealDirectory };
  try {
    return { real: await realpath(path) };
  } catch (err) {
    if (!isLink) return { error: codeOf(err) };
    const target = await readlink(path).catch(() => "an unreadable target");
    const why = codeOf(err) === "ELOOP" ? "a cycle of symbolic links" : codeOf(err) === "ENOENT" ? "a missing file" : codeOf(err);
    return { error: `broken symbolic link to ${target} (${why})` };
  }
}

async function* walk(path: string, read: Map<string, string>, inRealDirectory: string | null = null): AsyncGenerator<WalkEntry> {
  const resolved = await realPathOf(path, inRealDirectory);
  if ("error" in resolved) {
    yield { path, error: resolved.error };
    return;
  }
  const { real } = resolved;
  const first = read.get(real);
  if (first !== undefined) {
    yield { path, sameAs: first };
    return;
  }
  read.set(real, path);
  let info;
  try {
    info = await stat(real);
  } catch (err) {
    yield { path, error: codeOf(err) };
    return;
  }
  if (info.isDirectory()) {
    let names: string[];
    try {
      names = (await readdir(real)).sort();
    } catch (err) {
      yield { path, error: codeOf(err) };
      return;
    }
    for (const name of names) yield* walk(join(path, name), read, join(real, name));
  } else if (info.isFile()) {
    if (info.size > MAX_FILE_BYTES) {
      yield { path, error: `larger than ${MAX_FILE_BYTES} bytes, skipped` };
      return;
    }
    try {
      yield { path, content: await readFile(real) };
    } catch (err) {
      yield { path, error: codeOf(err) };
    }
  }
  // Sockets, FIFOs and devices are skipped: reading one could block or never end.
}

// The file collector: imports certificates from PEM and DER files and directory trees
// (certificate stores, configuration repositories, exports), so they join the same inventory
// and rules as served certificates. Files are untrusted: size-capped, symlinks not followed.
import { lstat, readdir, readFile } from "node:fs/promises";
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
    for (const root of paths) {
      for await (const entry of walk(root)) {
        if (ctx.signal.aborted) return tally;
        if ("error" in entry) {
          ctx.log.warn(`cannot read ${entry.path}: ${entry.error}`);
          count("unreadable");
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

type WalkEntry = { path: string; content: Buffer } | { path: string; error: string };

async function* walk(path: string): AsyncGenerator<WalkEntry> {
  let info;
  try {
    info = await lstat(path);
  } catch (err) {
    yield { path, error: (err as NodeJS.ErrnoException).code ?? String(err) };
    return;
  }
  if (info.isDirectory()) {
    let names: string[];
    try {
      names = (await readdir(path)).sort();
    } catch (err) {
      yield { path, error: (err as NodeJS.ErrnoException).code ?? String(err) };
      return;
    }
    for (const name of names) yield* walk(join(path, name));
  } else if (info.isFile()) {
    if (info.size > MAX_FILE_BYTES) {
      yield { path, error: `larger than ${MAX_FILE_BYTES} bytes, skipped` };
      return;
    }
    try {
      yield { path, content: await readFile(path) };
    } catch (err) {
      yield { path, error: (err as NodeJS.ErrnoException).code ?? String(err) };
    }
  }
  // Symlinks, sockets and devices are skipped: following links could loop or leave the tree.
}

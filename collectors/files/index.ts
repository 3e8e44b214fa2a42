// The file collector: imports certificates from PEM and DER files, keystores (PKCS#12 / PFX,
// Java JKS) and directory trees (certificate stores, configuration repositories, exports), so
// they join the same inventory and rules as served certificates, and records the private keys
// it finds there (facts about them, never the key: see src/model/keys.ts). Files are untrusted:
// PEM is read chunk by chunk with a cap per block, so a bundle of any size is read whole in
// bounded memory; binary formats (DER, keystores) are read only up to MAX_BINARY_BYTES; only
// regular files are read. Whatever cannot be read is a file record naming the file, in the run.
// Symbolic links are followed (Debian's /etc/ssl/certs is a directory of links into
// /usr/share/ca-certificates), each file and directory read once by its real path, so two
// links to one file, or a link back to a parent directory, add nothing and never loop.
import { createReadStream } from "node:fs";
import { lstat, open, readdir, readlink, realpath, stat } from "node:fs/promises";
import { join } from "node:path";
import type { FileRecord, ScannedFileFormat } from "../../src/model/keys.js";
import { messageOf } from "../../src/pki/certificate.js";
import { derShape } from "../../src/pki/private-key.js";
import { type Collector, type CollectorContext, type CollectorTally, outcomeCounter } from "../collector.js";
import type { KeystoreContents } from "./keystores.js";
import { type FoundKey, derKey, pemKey } from "./private-keys.js";
import { type PemBlock, pemBlocks } from "./pem-blocks.js";

export interface FileCollectorOptions {
  paths: readonly string[];
  /** The password for keystores and encrypted keys (--keystore-password-env); never logged or stored. */
  keystorePassword?: string | null;
}

/** Certificates, keys and keystores in binary form are small; a larger binary file is read as text only. */
const MAX_BINARY_BYTES = 16 * 1024 * 1024;
/** Chunks a large file is read in. */
const READ_CHUNK_BYTES = 1024 * 1024;

const CERTIFICATE_LABELS = new Set(["CERTIFICATE", "X509 CERTIFICATE", "TRUSTED CERTIFICATE"]);
const JKS_MAGIC = 0xfeedfeed;
const JCEKS_MAGIC = 0xcececece;

export const fileCollector: Collector<FileCollectorOptions> = {
  meta: { name: "files", description: "PEM and DER certificate files, PKCS#12 and Java keystores, private keys, and directories" },
  async collect({ paths, keystorePassword = null }, ctx) {
    const { tally, count } = outcomeCounter(ctx);
    // Real path → the path it was first reached by, across every root of the scan.
    const read = new Map<string, string>();
    for (const root of paths) {
      for await (const entry of walk(root, read)) {
        if (ctx.signal.aborted) return tally;
        if ("error" in entry) {
          ctx.log.warn(`cannot read ${entry.path}: ${entry.error}`);
          await ctx.recorder.addFileRecord(fileRecord(entry.path, null, { error: entry.error }));
          count("unreadable");
          continue;
        }
        if ("sameAs" in entry) {
          ctx.log.debug(`${entry.path} is ${entry.sameAs}, already read`);
          count("already-read");
          continue;
        }
        const file = new ScannedFile(entry.path, ctx, keystorePassword);
        try {
          await file.read(entry.real, entry.size);
        } catch (err) {
          file.problem(`cannot read: ${messageOf(err)}`);
        }
        count(await file.finish(tally));
      }
    }
    return tally;
  },
};

/** The file's bytes when there are at most MAX_BINARY_BYTES of them (`size` as listed), else null. */
async function readAtMost(path: string, size: number): Promise<Buffer | null> {
  const handle = await open(path, "r");
  try {
    const buffer = Buffer.alloc(Math.min(size, MAX_BINARY_BYTES) + 1);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    return bytesRead > MAX_BINARY_BYTES ? null : buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

function fileRecord(path: string, format: ScannedFileFormat, fields: Partial<FileRecord>): FileRecord {
  return {
    path, format, integrity: null, opened: null, certificates: 0, privateKeys: 0, observedAt: new Date().toISOString(), error: null, ...fields,
  };
}

/** One regular file being read: what it held, recorded as it is found. */
class ScannedFile {
  private format: ScannedFileFormat = null;
  private certificates = 0;
  private keys = 0;
  private readonly problems: string[] = [];
  private keystore: Pick<KeystoreContents, "integrity" | "opened"> | null = null;
  /** A lone certificate is located by the file's path, several by path#N: the first waits to see which. */
  private heldCertificate: Buffer | null = null;
  private readonly observedAt = new Date().toISOString();

  constructor(
    private readonly path: string,
    private readonly ctx: CollectorContext,
    private readonly password: string | null,
  ) {}

  async read(real: string, size: number): Promise<void> {
    // Too large for a binary certificate or keystore (as listed, or grown since): PEM text, streamed.
    const content = size > MAX_BINARY_BYTES ? null : await readAtMost(real, size);
    if (content === null) {
      this.format = "pem";
      await this.readPem(createReadStream(real, { highWaterMark: READ_CHUNK_BYTES }));
      return;
    }
    const magic = content.length >= 4 ? content.readUInt32BE(0) : 0;
    if (magic === JKS_MAGIC) return this.readKeystore("jks", ({ readJks }) => readJks(content, this.password));
    if (magic === JCEKS_MAGIC) {
      this.format = "jceks";
      this.problem("a JCEKS keystore: pkiscope does not read this format (convert it with keytool -importkeystore -deststoretype PKCS12)");
      return;
    }
    // 0x30 opens an ASN.1 SEQUENCE: DER, unless the text that starts with "0" holds PEM.
    if (content[0] === 0x30 && !content.includes("-----BEGIN ")) return this.readDer(content);
    this.format = "pem";
    await this.readPem([content]);
  }

  private async readDer(der: Buffer): Promise<void> {
    this.format = "der";
    switch (derShape(der)) {
      case "pkcs12":
        return this.readKeystore("pkcs12", ({ readPkcs12 }) => readPkcs12(der, this.password));
      case "private-key":
        return this.addKey(derKey(der, false, this.password), null);
      case "encrypted-private-key":
        return this.addKey(derKey(der, true, this.password), null);
      case "other":
        // A certificate, or something the parser will name as not one.
        return this.addCertificate(der);
    }
  }

  private async readPem(chunks: AsyncIterable<Buffer> | Iterable<Buffer>): Promise<void> {
    for await (const block of pemBlocks(chunks)) {
      if (this.ctx.signal.aborted) return;
      if (block.error !== null) this.problem(block.error);
      else if (CERTIFICATE_LABELS.has(block.label)) await this.addCertificate(block.der!);
      else if (block.label.endsWith("PRIVATE KEY")) await this.addKey(pemKey(block as PemBlock & { der: Buffer }, this.password), `block ${block.ordinal}`);
    }
  }

  private async readKeystore(format: "pkcs12" | "jks", open: (readers: typeof import("./keystores.js")) => KeystoreContents): Promise<void> {
    this.format = format;
    // Loaded with the first keystore found: node-forge and jks-js cost start-up every other scan would pay.
    const readers = await import("./keystores.js");
    let contents: KeystoreContents;
    try {
      contents = open(readers);
    } catch (err) {
      this.problem(messageOf(err));
      return;
    }
    this.keystore = { integrity: contents.integrity, opened: contents.opened };
    if (contents.error !== null) this.problem(contents.error);
    for (const c of contents.certificates) await this.addCertificate(c.der);
    for (const key of contents.keys) await this.addKey(key, key.entry);
  }

  private async addCertificate(der: Buffer): Promise<void> {
    this.certificates++;
    if (this.certificates === 1) {
      this.heldCertificate = der;
      return;
    }
    if (this.heldCertificate) {
      await this.sighting(this.heldCertificate, `${this.path}#1`);
      this.heldCertificate = null;
    }
    await this.sighting(der, `${this.path}#${this.certificates}`);
  }

  private sighting(der: Buffer, location: string): Promise<void> {
    return this.ctx.recorder.addSighting({ der, source: "file", location, position: null, observedAt: this.observedAt });
  }

  private async addKey(key: FoundKey, entry: string | null): Promise<void> {
    this.keys++;
    await this.ctx.recorder.addPrivateKey({ ...key, file: this.path, entry, observedAt: this.observedAt });
  }

  problem(message: string): void {
    this.problems.push(message);
  }

  /** Records what is still held and the file's record; returns its outcome for the tally. */
  async finish(tally: CollectorTally): Promise<string> {
    if (this.heldCertificate) await this.sighting(this.heldCertificate, this.path);
    if (this.keys > 0) tally["private-keys"] = (tally["private-keys"] ?? 0) + this.keys;
    const error = this.problems.length > 0 ? this.problems.join("; ") : null;
    if (error !== null) this.ctx.log.warn(`${this.path}: ${error}`);
    if (this.keystore || error !== null) {
      await this.ctx.recorder.addFileRecord(fileRecord(this.path, this.format, {
        integrity: this.keystore?.integrity ?? null, opened: this.keystore?.opened ?? null,
        certificates: this.certificates, privateKeys: this.keys, observedAt: this.observedAt, error,
      }));
    }
    if (this.certificates > 0) return error === null ? "imported" : "imported-in-part";
    if (error !== null) return "unreadable";
    return this.keys > 0 ? "private-key-only" : "no-certificate";
  }
}

type WalkEntry =
  | { path: string; real: string; size: number }
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
    yield { path, real, size: info.size };
  }
  // Sockets, FIFOs and devices are skipped: reading one could block or never end.
}

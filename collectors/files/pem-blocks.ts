// PEM blocks of a file of any size, read chunk by chunk: each block is handed on as its END
// marker arrives, so a 50 MB CA bundle costs the memory of one block, not of the file. Text
// around and between blocks (config files, `openssl x509 -text` dumps, Bag Attributes) is
// skipped. Hand-written because the PEM readers on npm take the whole text as one string.
// A block whose body is over the cap is reported (and not decoded); so is one the file ends in.

/** A block's body (base64 and its line breaks) over this is not a certificate or a key, and is not kept. */
export const MAX_PEM_BLOCK_CHARS = 1024 * 1024;

export interface PemBlock {
  /** The BEGIN label: "CERTIFICATE", "PRIVATE KEY", "ENCRYPTED PRIVATE KEY"... */
  label: string;
  /** 1 for the file's first block, whatever its label. */
  ordinal: number;
  /** RFC 1421 headers (Proc-Type, DEK-Info), as OpenSSL's encrypted traditional keys carry. */
  headers: Record<string, string>;
  /** The decoded body; null when the block could not be read (see error). */
  der: Buffer | null;
  error: string | null;
}

const BEGIN = /-----BEGIN ([A-Z0-9 ]{1,64})-----/;
const END = "-----END ";
/** The longest marker kept across chunk boundaries (dashes, BEGIN or END, a 64-character label). */
const MARKER_CHARS = 80;

/** The PEM blocks of `chunks` (a file's read stream, or one buffer), in order. */
export async function* pemBlocks(chunks: AsyncIterable<Buffer> | Iterable<Buffer>, maxBlockChars = MAX_PEM_BLOCK_CHARS): AsyncGenerator<PemBlock> {
  let text = "";
  let ordinal = 0;
  let open: { label: string; parts: string[]; chars: number } | null = null;

  const take = function* (atEnd: boolean): Generator<PemBlock> {
    for (;;) {
      if (!open) {
        const begin = BEGIN.exec(text);
        if (!begin) {
          // A marker may straddle the next chunk: keep the tail.
          text = atEnd ? "" : text.slice(-MARKER_CHARS);
          return;
        }
        open = { label: begin[1]!, parts: [], chars: 0 };
        ordinal++;
        text = text.slice(begin.index + begin[0].length);
        continue;
      }
      const end = text.indexOf(END);
      const close = end < 0 ? -1 : text.indexOf("-----", end + END.length);
      if (close < 0) {
        // An END line that never closes within a marker's length is broken, not late.
        if (atEnd || (end >= 0 && text.length - end > MARKER_CHARS)) {
          yield { label: open.label, ordinal, headers: {}, der: null, error: `block ${ordinal} (${open.label}) has no readable END line` };
          open = null;
          if (atEnd) return;
          text = text.slice(end + END.length);
          continue;
        }
        // Keep what may be the start of the END marker for the next chunk.
        const keep = Math.max(end < 0 ? text.length - MARKER_CHARS : end, 0);
        append(open, text.slice(0, keep), maxBlockChars);
        text = text.slice(keep);
        return;
      }
      append(open, text.slice(0, end), maxBlockChars);
      yield finish(open, ordinal, maxBlockChars);
      open = null;
      text = text.slice(close + 5);
    }
  };

  for await (const chunk of chunks) {
    text += chunk.toString("latin1");
    yield* take(false);
  }
  yield* take(true);
}

function append(block: { parts: string[]; chars: number }, body: string, max: number): void {
  block.chars += body.length;
  // Over the cap the body is only counted: the block is reported, never held.
  if (block.chars <= max) block.parts.push(body);
  else block.parts = [];
}

function finish(block: { label: string; parts: string[]; chars: number }, ordinal: number, max: number): PemBlock {
  if (block.chars > max) {
    return { label: block.label, ordinal, headers: {}, der: null, error: `block ${ordinal} (${block.label}) is over ${max} characters, not read` };
  }
  const headers: Record<string, string> = {};
  const body = block.parts.join("").split(/\r?\n/).filter((line) => {
    const header = /^([A-Za-z-]+):\s*(.*)$/.exec(line.trim());
    if (header) headers[header[1]!] = header[2]!;
    return !header;
  }).join("");
  return { label: block.label, ordinal, headers, der: Buffer.from(body.replace(/[^A-Za-z0-9+/=]/g, ""), "base64"), error: null };
}

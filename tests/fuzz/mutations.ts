// Mutations of corpus inputs, as fast-check arbitraries: a case is a seed and a short list of
// edits applied in order. Positions are naturals taken modulo the input's length, so they
// shrink towards the start and replay exactly from a seed and a run number.
import fc from "fast-check";

export type Mutation =
  | { op: "flip"; at: number; bit: number }
  | { op: "insert"; at: number; bytes: number[] }
  | { op: "delete"; at: number; count: number }
  /** Rewrites the length field of the `header`-th DER element found (any seed: non-DER has none). */
  | { op: "length"; header: number; length: LengthForm }
  | { op: "truncate"; at: number }
  /** This input up to `at`, then another seed from `from` on. */
  | { op: "splice"; at: number; seed: number; from: number }
  /** `depth` SEQUENCEs around the input, indefinite (30 80 ... 00 00) or definite lengths. */
  | { op: "nest"; depth: number; indefinite: boolean }
  /** `count` copies of the bytes [at, at + span) in place. */
  | { op: "repeat"; at: number; span: number; count: number };

/** Length fields a hostile encoder writes: off by one, zero, indefinite, huge, too many octets. */
export type LengthForm = "plus-one" | "minus-one" | "zero" | "indefinite" | "max-short" | "huge" | "nine-octets" | "non-minimal";

const position = fc.nat({ max: 1 << 24 });

export function mutationArbitrary(seedCount: number): fc.Arbitrary<Mutation> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.record({ op: fc.constant("flip" as const), at: position, bit: fc.nat({ max: 7 }) }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant("insert" as const), at: position, bytes: fc.array(fc.nat({ max: 255 }), { minLength: 1, maxLength: 8 }) }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant("delete" as const), at: position, count: fc.integer({ min: 1, max: 16 }) }) },
    {
      weight: 4,
      arbitrary: fc.record({
        op: fc.constant("length" as const),
        header: fc.nat({ max: 4096 }),
        length: fc.constantFrom<LengthForm>("plus-one", "minus-one", "zero", "indefinite", "max-short", "huge", "nine-octets", "non-minimal"),
      }),
    },
    { weight: 2, arbitrary: fc.record({ op: fc.constant("truncate" as const), at: position }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant("splice" as const), at: position, seed: fc.nat({ max: seedCount - 1 }), from: position }) },
    { weight: 1, arbitrary: fc.oneof(
      fc.record({ op: fc.constant("nest" as const), depth: fc.integer({ min: 1, max: 100_000 }), indefinite: fc.constant(true) }),
      // Definite lengths cost a header per level to build; 20 000 levels is past any recursive parser's stack.
      fc.record({ op: fc.constant("nest" as const), depth: fc.integer({ min: 1, max: 20_000 }), indefinite: fc.constant(false) }),
    ) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant("repeat" as const), at: position, span: fc.integer({ min: 1, max: 64 }), count: fc.integer({ min: 2, max: 2000 }) }) },
  );
}

export interface FuzzCase {
  seed: number;
  mutations: Mutation[];
}

export function caseArbitrary(seedCount: number): fc.Arbitrary<FuzzCase> {
  return fc.record({ seed: fc.nat({ max: seedCount - 1 }), mutations: fc.array(mutationArbitrary(seedCount), { minLength: 1, maxLength: 4 }) });
}

export function applyCase(seeds: readonly Buffer[], c: FuzzCase): Buffer {
  return c.mutations.reduce((input, m) => mutate(input, m, seeds), seeds[c.seed]!);
}

function mutate(input: Buffer, m: Mutation, seeds: readonly Buffer[]): Buffer {
  const at = (n: number, room = 0): number => (input.length + room === 0 ? 0 : n % (input.length + room));
  switch (m.op) {
    case "flip": {
      if (input.length === 0) return input;
      const out = Buffer.from(input);
      out[at(m.at)]! ^= 1 << m.bit;
      return out;
    }
    case "insert": {
      const i = at(m.at, 1);
      return Buffer.concat([input.subarray(0, i), Buffer.from(m.bytes), input.subarray(i)]);
    }
    case "delete": {
      const i = at(m.at);
      return Buffer.concat([input.subarray(0, i), input.subarray(i + m.count)]);
    }
    case "length":
      return rewriteLength(input, m.header, m.length);
    case "truncate":
      return input.subarray(0, at(m.at));
    case "splice": {
      const other = seeds[m.seed]!;
      return Buffer.concat([input.subarray(0, at(m.at, 1)), other.subarray(other.length === 0 ? 0 : m.from % other.length)]);
    }
    case "nest":
      return m.indefinite ? nestIndefinite(input, m.depth) : nestDefinite(input, m.depth);
    case "repeat": {
      const i = at(m.at);
      const span = input.subarray(i, i + m.span);
      return Buffer.concat([input.subarray(0, i), ...Array<Buffer>(m.count).fill(span), input.subarray(i + span.length)]);
    }
  }
}

interface Header {
  /** Offset of the first length octet. */
  lengthAt: number;
  /** Octets the length field takes. */
  lengthOctets: number;
  length: number;
}

/** DER element headers in document order, descending into constructed elements; at most `limit`. */
export function derHeaders(der: Buffer, limit = 4096): Header[] {
  const headers: Header[] = [];
  const walk = (start: number, end: number, depth: number): void => {
    let offset = start;
    while (offset + 2 <= end && headers.length < limit && depth < 64) {
      const tag = der[offset]!;
      if ((tag & 0x1f) === 0x1f) return;
      const first = der[offset + 1]!;
      let length = first;
      let octets = 1;
      if (first & 0x80) {
        const count = first & 0x7f;
        if (count === 0 || count > 4 || offset + 2 + count > end) return;
        length = 0;
        for (let i = 0; i < count; i++) length = length * 256 + der[offset + 2 + i]!;
        octets = 1 + count;
      }
      const contentStart = offset + 1 + octets;
      if (contentStart + length > end) return;
      headers.push({ lengthAt: offset + 1, lengthOctets: octets, length });
      // Constructed, or an OCTET/BIT STRING that wraps DER (extension values, keys).
      if (tag & 0x20 || tag === 0x04 || tag === 0x03) walk(contentStart + (tag === 0x03 ? 1 : 0), contentStart + length, depth + 1);
      offset = contentStart + length;
    }
  };
  walk(0, der.length, 0);
  return headers;
}

function encodeLength(form: LengthForm, current: number): Buffer {
  switch (form) {
    case "plus-one":
      return definiteLength(current + 1);
    case "minus-one":
      return definiteLength(Math.max(0, current - 1));
    case "zero":
      return Buffer.of(0);
    case "indefinite":
      return Buffer.of(0x80);
    case "max-short":
      return Buffer.of(0x7f);
    case "huge":
      return Buffer.of(0x84, 0xff, 0xff, 0xff, 0xff);
    case "nine-octets":
      return Buffer.of(0x89, 0x01, 0, 0, 0, 0, 0, 0, 0, 0);
    case "non-minimal":
      return Buffer.concat([Buffer.of(0x84), uint32(current)]);
  }
}

function uint32(value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(value);
  return b;
}

export function definiteLength(length: number): Buffer {
  if (length < 0x80) return Buffer.of(length);
  const octets: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) octets.unshift(n % 256);
  return Buffer.of(0x80 | octets.length, ...octets);
}

function rewriteLength(input: Buffer, which: number, form: LengthForm): Buffer {
  const headers = derHeaders(input);
  const header = headers[which % Math.max(headers.length, 1)];
  if (!header) return input;
  return Buffer.concat([input.subarray(0, header.lengthAt), encodeLength(form, header.length), input.subarray(header.lengthAt + header.lengthOctets)]);
}

/** 30 80 repeated `depth` times, the input, then the end-of-contents octets: BER nesting a recursive parser follows. */
function nestIndefinite(input: Buffer, depth: number): Buffer {
  const out = Buffer.alloc(depth * 4 + input.length);
  for (let i = 0; i < depth; i++) out.writeUInt16BE(0x3080, i * 2);
  input.copy(out, depth * 2);
  // The trailing end-of-contents octets are already zero.
  return out;
}

/** Well-formed DER: `depth` SEQUENCEs with exact lengths around the input. */
function nestDefinite(input: Buffer, depth: number): Buffer {
  const headers: Buffer[] = [];
  let size = input.length;
  for (let i = 0; i < depth; i++) {
    const header = Buffer.concat([Buffer.of(0x30), definiteLength(size)]);
    headers.push(header);
    size += header.length;
  }
  return Buffer.concat([...headers.reverse(), input], size);
}

/** A case in a form that can be pasted into a regression test. */
export function describeCase(c: FuzzCase, seedNames: readonly string[]): string {
  return JSON.stringify({ seed: seedNames[c.seed], mutations: c.mutations });
}

// Uniform, bounded access to an ldapts search entry. ldapts returns a single value as a string
// (or Buffer) and several as an array, and keys in the server's spelling; values larger than
// their cap are dropped here and reported, so one hostile attribute cannot flood the snapshot.
import type { Entry } from "ldapts";

/** Certificates, descriptors and every other attribute are small; anything bigger is not genuine. */
const MAX_VALUE_BYTES = 1024 * 1024;
/** Except CRLs, which grow with the number of revoked certificates. */
const MAX_CRL_BYTES = 32 * 1024 * 1024;
const LARGE_ATTRIBUTES = new Set(["certificaterevocationlist", "deltarevocationlist"]);

export class LdapEntry {
  readonly dn: string;
  /** Attribute values dropped for size, as messages for the snapshot's error list. */
  readonly oversized: string[] = [];
  private readonly values = new Map<string, (string | Buffer)[]>();

  constructor(raw: Entry) {
    this.dn = raw.dn;
    for (const [key, value] of Object.entries(raw)) {
      if (key === "dn") continue;
      const name = key.toLowerCase();
      const cap = LARGE_ATTRIBUTES.has(name) ? MAX_CRL_BYTES : MAX_VALUE_BYTES;
      const kept = (Array.isArray(value) ? value : [value]).filter((v) => {
        const size = Buffer.isBuffer(v) ? v.length : Buffer.byteLength(v);
        if (size <= cap) return true;
        this.oversized.push(`${key}: value of ${size} bytes exceeds ${cap}`);
        return false;
      });
      this.values.set(name, kept);
    }
  }

  strings(attribute: string): string[] {
    return (this.values.get(attribute.toLowerCase()) ?? []).map((v) => (Buffer.isBuffer(v) ? v.toString("utf8") : v));
  }

  string(attribute: string): string | undefined {
    return this.strings(attribute)[0];
  }

  buffers(attribute: string): Buffer[] {
    return (this.values.get(attribute.toLowerCase()) ?? []).map((v) => (Buffer.isBuffer(v) ? v : Buffer.from(v, "utf8")));
  }

  buffer(attribute: string): Buffer | undefined {
    return this.buffers(attribute)[0];
  }

  /** objectClass values, lowercased, for classification. */
  classes(): Set<string> {
    return new Set(this.strings("objectClass").map((c) => c.toLowerCase()));
  }
}

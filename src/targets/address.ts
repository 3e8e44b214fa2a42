// IP addresses as bigints, so CIDR blocks and ranges of either family are walked without
// materialising them. ipaddr.js does the parsing; the arithmetic is a few lines of BigInt.
import ipaddr from "ipaddr.js";

export type Family = 4 | 6;

export interface IpValue {
  family: Family;
  value: bigint;
}

export function parseIp(text: string): IpValue | null {
  const bare = text.startsWith("[") && text.endsWith("]") ? text.slice(1, -1) : text;
  if (!ipaddr.isValid(bare)) return null;
  // ipaddr.js accepts legacy forms such as "10.1" or "0x7f.1"; a target list should not.
  if (!bare.includes(":") && !ipaddr.IPv4.isValidFourPartDecimal(bare)) return null;
  const parsed = ipaddr.parse(bare);
  const family: Family = parsed.kind() === "ipv4" ? 4 : 6;
  let value = 0n;
  for (const byte of parsed.toByteArray()) value = (value << 8n) | BigInt(byte);
  return { family, value };
}

export function formatIp(ip: IpValue): string {
  // IPv4 is the hot path of every sweep: format it directly (ipaddr.js costs ~25 µs an address).
  if (ip.family === 4) {
    const v = Number(ip.value);
    return `${v >>> 24}.${(v >>> 16) & 0xff}.${(v >>> 8) & 0xff}.${v & 0xff}`;
  }
  const bytes: number[] = [];
  for (let i = 15; i >= 0; i--) bytes.push(Number((ip.value >> BigInt(i * 8)) & 0xffn));
  return ipaddr.fromByteArray(bytes).toString();
}

export function familyBits(family: Family): number {
  return family === 4 ? 32 : 128;
}

/** An inclusive address interval of one family. */
export interface AddressBlock {
  family: Family;
  first: bigint;
  last: bigint;
}

export function parseCidr(text: string): AddressBlock | null {
  const slash = text.indexOf("/");
  if (slash < 0) return null;
  const ip = parseIp(text.slice(0, slash));
  const prefixText = text.slice(slash + 1);
  if (!ip || !/^\d{1,3}$/.test(prefixText)) return null;
  const prefix = Number(prefixText);
  const bits = familyBits(ip.family);
  if (prefix > bits) return null;
  const hostBits = BigInt(bits - prefix);
  const first = (ip.value >> hostBits) << hostBits;
  return { family: ip.family, first, last: first + (1n << hostBits) - 1n };
}

export function blockContains(block: AddressBlock, ip: IpValue): boolean {
  return block.family === ip.family && ip.value >= block.first && ip.value <= block.last;
}

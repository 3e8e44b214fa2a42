// Replies of the protocols that answer with three-digit codes (SMTP, RFC 5321 §4.2; FTP,
// RFC 959 §4.2): "250-first line", ..., "250 last line". FTP lets the lines between the first
// and the last say anything, so a reply ends at the first line that starts with its code and a
// space.
import { type PlaintextConversation, StartTlsProtocolError, serverWords } from "./protocol.js";

export interface NumericReply {
  code: number;
  /** The text of every line, without the code. */
  lines: string[];
}

/** Most lines one reply may have (an EHLO answer has about a dozen). */
const MAX_REPLY_LINES = 100;

export async function readNumericReply(talk: PlaintextConversation, protocol: string): Promise<NumericReply> {
  const first = await talk.readLine();
  const opening = /^(\d{3})([ -])(.*)$/.exec(first) ?? /^(\d{3})()$/.exec(first);
  if (!opening) throw new StartTlsProtocolError(`not an ${protocol} reply: ${serverWords(first)}`);
  const code = opening[1]!;
  const lines = [opening[3] ?? ""];
  if (opening[2] !== "-") return { code: Number(code), lines };
  for (;;) {
    const line = await talk.readLine();
    if (line.startsWith(`${code} `) || line === code) {
      lines.push(line.slice(4));
      return { code: Number(code), lines };
    }
    lines.push(line.startsWith(`${code}-`) ? line.slice(4) : line);
    if (lines.length > MAX_REPLY_LINES) throw new StartTlsProtocolError(`an ${protocol} reply of over ${MAX_REPLY_LINES} lines`);
  }
}

/** What the server said, for an error: its code and first line. */
export function replyWords(reply: NumericReply): string {
  return serverWords(`${reply.code} ${reply.lines[0] ?? ""}`);
}

// IMAP STARTTLS (RFC 3501 §6.2.1): greeting * OK, CAPABILITY lists STARTTLS, STARTTLS → tagged OK.
import { type PlaintextConversation, type StartTlsProtocol, StartTlsProtocolError, StartTlsRefused, serverWords } from "./protocol.js";

/** Most untagged lines we read while waiting for one tagged answer. */
const MAX_UNTAGGED_LINES = 100;

/** Sends a tagged command; returns the untagged lines before its tagged answer, and that answer. */
async function command(talk: PlaintextConversation, tag: string, verb: string): Promise<{ untagged: string[]; status: string; line: string }> {
  await talk.write(`${tag} ${verb}\r\n`);
  const untagged: string[] = [];
  for (;;) {
    const line = await talk.readLine();
    const tagged = new RegExp(`^${tag} (OK|NO|BAD)\\b`, "i").exec(line);
    if (tagged) return { untagged, status: tagged[1]!.toUpperCase(), line };
    if (!line.startsWith("* ") && !line.startsWith("+")) throw new StartTlsProtocolError(`not an IMAP reply to ${verb}: ${serverWords(line)}`);
    untagged.push(line);
    if (untagged.length > MAX_UNTAGGED_LINES) throw new StartTlsProtocolError(`over ${MAX_UNTAGGED_LINES} lines without an answer to ${verb}`);
  }
}

export const imap: StartTlsProtocol = {
  name: "imap",
  defaultPorts: [143],
  description: "IMAP: CAPABILITY, then STARTTLS (RFC 3501)",
  async negotiate(talk) {
    const greeting = await talk.readLine();
    if (/^\* BYE\b/i.test(greeting)) throw new StartTlsRefused(`the IMAP server is not ready: ${serverWords(greeting)}`);
    if (!/^\* (OK|PREAUTH)\b/i.test(greeting)) throw new StartTlsProtocolError(`not an IMAP greeting: ${serverWords(greeting)}`);
    const capability = await command(talk, "a1", "CAPABILITY");
    const listed = capability.untagged.find((line) => /^\* CAPABILITY /i.test(line)) ?? "";
    if (capability.status !== "OK" || !/(^| )STARTTLS( |$)/i.test(listed)) {
      throw new StartTlsRefused(`the IMAP server does not offer STARTTLS (${serverWords(listed || capability.line)})`);
    }
    const upgrade = await command(talk, "a2", "STARTTLS");
    if (upgrade.status !== "OK") throw new StartTlsRefused(`STARTTLS refused: ${serverWords(upgrade.line)}`);
  },
};

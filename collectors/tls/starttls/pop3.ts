// POP3 STLS (RFC 2595 §4): greeting +OK, STLS → +OK.
import { type PlaintextConversation, type StartTlsProtocol, StartTlsProtocolError, StartTlsRefused, serverWords } from "./protocol.js";

/** One status line: true for +OK, false for -ERR; anything else is not POP3. */
async function readStatus(talk: PlaintextConversation): Promise<{ ok: boolean; line: string }> {
  const line = await talk.readLine();
  if (/^\+OK\b/i.test(line)) return { ok: true, line };
  if (/^-ERR\b/i.test(line)) return { ok: false, line };
  throw new StartTlsProtocolError(`not a POP3 reply: ${serverWords(line)}`);
}

export const pop3: StartTlsProtocol = {
  name: "pop3",
  defaultPorts: [110],
  description: "POP3: STLS (RFC 2595)",
  async negotiate(talk) {
    const greeting = await readStatus(talk);
    if (!greeting.ok) throw new StartTlsRefused(`the POP3 server is not ready: ${serverWords(greeting.line)}`);
    await talk.write("STLS\r\n");
    const ready = await readStatus(talk);
    if (!ready.ok) throw new StartTlsRefused(`STLS refused: ${serverWords(ready.line)}`);
  },
};

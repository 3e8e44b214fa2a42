// SMTP STARTTLS (RFC 3207): banner 220, EHLO, STARTTLS among the extensions, STARTTLS → 220.
import { readNumericReply, replyWords } from "./numeric-reply.js";
import { type StartTlsProtocol, StartTlsRefused } from "./protocol.js";

/**
 * The EHLO argument should be the client's own name; a scanner has none worth giving, and a
 * name under .invalid (RFC 2606) is a syntactically valid FQDN that names nothing.
 */
const EHLO_NAME = "pkiscope.invalid";

export const smtp: StartTlsProtocol = {
  name: "smtp",
  defaultPorts: [25, 587],
  description: "SMTP: EHLO, then STARTTLS (RFC 3207)",
  async negotiate(talk) {
    const banner = await readNumericReply(talk, "SMTP");
    if (banner.code !== 220) throw new StartTlsRefused(`the SMTP server is not ready: ${replyWords(banner)}`);
    await talk.write(`EHLO ${EHLO_NAME}\r\n`);
    const ehlo = await readNumericReply(talk, "SMTP");
    if (ehlo.code !== 250) throw new StartTlsRefused(`EHLO refused: ${replyWords(ehlo)}`);
    if (!ehlo.lines.some((line) => /^STARTTLS\b/i.test(line))) {
      throw new StartTlsRefused(`the SMTP server does not offer STARTTLS (EHLO: ${ehlo.lines.slice(1).join(", ") || "no extensions"})`);
    }
    await talk.write("STARTTLS\r\n");
    const ready = await readNumericReply(talk, "SMTP");
    if (ready.code !== 220) throw new StartTlsRefused(`STARTTLS refused: ${replyWords(ready)}`);
  },
};

// FTP AUTH TLS (RFC 4217): banner 220, AUTH TLS → 234.
import { readNumericReply, replyWords } from "./numeric-reply.js";
import { type StartTlsProtocol, StartTlsRefused } from "./protocol.js";

export const ftp: StartTlsProtocol = {
  name: "ftp",
  defaultPorts: [21],
  description: "FTP: AUTH TLS (RFC 4217)",
  async negotiate(talk) {
    const banner = await readNumericReply(talk, "FTP");
    if (banner.code !== 220) throw new StartTlsRefused(`the FTP server is not ready: ${replyWords(banner)}`);
    await talk.write("AUTH TLS\r\n");
    const ready = await readNumericReply(talk, "FTP");
    if (ready.code !== 234) throw new StartTlsRefused(`AUTH TLS refused: ${replyWords(ready)}`);
  },
};

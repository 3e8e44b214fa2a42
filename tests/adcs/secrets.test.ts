// The bind password is used for the bind and nowhere else: not in the stored snapshot, the
// sightings, the tally, the errors, the log lines (human or JSON), the rendered reports or
// anywhere in the SQLite files, whether the bind succeeds or fails, nor when put in the URL.
import { existsSync, readFileSync } from "node:fs";
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { type Logger, createLogger } from "../../src/log.js";
import { storedRunReport } from "../../src/reports/report-model.js";
import { REPORT_FORMATS, renderReport } from "../../src/reports/write.js";
import { type Collected, collect, labOptions } from "./collect.js";
import { adcsLab, labPassword } from "./lab.js";

const lab = adcsLab();

/** Every form a careless writer might leave a secret in. */
function encodings(secret: string): string[] {
  return [secret, Buffer.from(secret).toString("base64"), Buffer.from(secret).toString("hex"), encodeURIComponent(secret)];
}

function capturedLogger(json: boolean) {
  const stream = new PassThrough();
  let text = "";
  stream.on("data", (d: Buffer) => (text += d.toString()));
  return { log: createLogger({ json, level: "debug", stream }), text: () => text };
}

/** One logger writing to both the human and the JSON (pino) formats. */
function tee(a: Logger, b: Logger): Logger {
  return {
    debug: (m, f) => (a.debug(m, f), b.debug(m, f)),
    info: (m, f) => (a.info(m, f), b.info(m, f)),
    warn: (m, f) => (a.warn(m, f), b.warn(m, f)),
    error: (m, f) => (a.error(m, f), b.error(m, f)),
  };
}

/** Every report format rendered from the stored run, as a scan would write them. */
function reports(run: Collected): string {
  const report = storedRunReport(run.contents);
  return REPORT_FORMATS.map((format) => renderReport(report, format)).join("\n");
}

/** The raw bytes of the database and its WAL, after the store is closed. */
async function storeBytes(run: Collected): Promise<Buffer> {
  await run.store.close();
  return Buffer.concat([run.dbPath, `${run.dbPath}-wal`, `${run.dbPath}-shm`].filter(existsSync).map((p) => readFileSync(p)));
}

function expectAbsent(secret: string, where: Record<string, string | Buffer>): void {
  for (const [name, content] of Object.entries(where)) {
    for (const form of encodings(secret)) {
      expect(content.includes(form), `${name} contains the password (${form === secret ? "plain" : "encoded"})`).toBe(false);
      expect(Buffer.isBuffer(content) && content.includes(Buffer.from(form, "utf16le")), `${name} contains it as UTF-16`).toBe(false);
    }
  }
}

describe("the LDAP password", () => {
  it("appears nowhere after a successful collection", async () => {
    const human = capturedLogger(false);
    const json = capturedLogger(true);
    const run = await collect(labOptions(lab), { log: tee(human.log, json.log) });
    expect(run.snapshot.templates.length).toBeGreaterThan(0);
    expect(human.text()).toContain("templates");
    expect(json.text()).toContain("templates");
    expectAbsent(labPassword(), {
      reports: reports(run),
      snapshot: JSON.stringify(run.contents.snapshots),
      sightings: JSON.stringify(run.contents.sightings),
      tally: JSON.stringify(run.tally),
      humanLog: human.text(),
      jsonLog: json.text(),
      database: await storeBytes(run),
    });
  });

  it("appears nowhere when the bind fails, and the failure is a recorded error", async () => {
    const wrong = "Wr0ng-but-Distinctive-Secret-93";
    const human = capturedLogger(false);
    const run = await collect(labOptions(lab, { password: wrong }), { log: human.log });
    expect(run.snapshot.errors).toEqual([{ context: "bind", message: expect.stringMatching(/credential|49|invalid/i) }]);
    expect(run.tally).toMatchObject({ failed: 1, errors: 1, templates: 0 });
    expect(run.elapsedMs).toBeLessThan(5000);
    expect(human.text()).toContain("bind");
    for (const secret of [wrong, labPassword()]) {
      expectAbsent(secret, { snapshot: JSON.stringify(run.contents.snapshots), humanLog: human.text(), tally: JSON.stringify(run.tally), reports: reports(run) });
    }
    expectAbsent(wrong, { database: await storeBytes(run) });
  });

  it("is refused, and not stored, when it is put in the URL", async () => {
    const inUrl = "InTheUrl-Secret-77";
    const run = await collect(labOptions(lab, { url: `ldaps://admin:${inUrl}@127.0.0.1` }));
    expect(run.snapshot.source).toBe("(invalid LDAP URL)");
    expect(run.snapshot.errors).toEqual([{ context: "url", message: expect.stringContaining("credentials in the URL") }]);
    expectAbsent(inUrl, { snapshot: JSON.stringify(run.contents.snapshots), database: await storeBytes(run) });
  });

  it("is left out of the description a run records of each LDAP source", async () => {
    const { describeLdapSource } = await import("../../collectors/adcs/index.js");
    const described = describeLdapSource(labOptions(lab, { url: lab.ldapUrl, startTls: true }));
    expect(described).toEqual({ url: "ldap://127.0.0.1:389", bindDn: lab.bindDn, transport: "starttls", verifyCertificate: false });
    expect(JSON.stringify(described)).not.toContain(labPassword());
    expect(describeLdapSource(labOptions(lab, { url: "ldaps://u:InUrl-Secret@dc" })).url).toBe("(invalid LDAP URL)");
  });

  it("is redacted from any error text that echoes it", async () => {
    const { redact } = await import("../../collectors/adcs/ldap-session.js");
    const secret = "p@ss w0rd";
    const echoed = `bind failed for ${secret} / ${encodeURIComponent(secret)} / ${Buffer.from(secret).toString("base64")}`;
    expect(redact(echoed, [secret])).toBe("bind failed for [redacted] / [redacted] / [redacted]");
    expect(redact("nothing to hide", [""])).toBe("nothing to hide");
  });
});

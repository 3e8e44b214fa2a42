// Behaviour table of legacy-protocol: endpoints with the protocol posture a `--protocols` probe
// recorded (or none, and only the version their ordinary handshake negotiated). Findings are per
// endpoint, so the table names them by endpoint id. The probes themselves, against real servers
// pinned to each version, are in tests/collectors/protocol-posture.test.ts.
import { legacyProtocol } from "../../rules/legacy-protocol.js";
import type { ProtocolSupport } from "../../src/model/types.js";
import { NOT_APPLICABLE, type RuleCase, SILENT, casesOf, examined } from "./cases.js";
import { type Keys, type ViewSpec, caProfile, issued, selfSigned, served, serverProfile } from "./inventory.js";

const ENDPOINT = "192.0.2.20:443";

const accepted = { outcome: "accepted" } as const;
const refused = { outcome: "refused" } as const;
/** Posture from the versions accepted; the others refused. */
const posture = (...versions: (keyof ProtocolSupport)[]): ProtocolSupport =>
  Object.fromEntries((["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"] as const).map((v) => [v, versions.includes(v) ? accepted : refused]));

/** ENDPOINT (and any `others`) served a sanctioned leaf, with what the collector recorded of each. */
const endpoints = (recorded: ViewSpec["endpoints"], others: string[] = []) => (k: Keys): ViewSpec => {
  const root = selfSigned("Root CA", k.ec(), caProfile());
  const leaf = issued("leaf", k.ec(), root, serverProfile("www.example.test"));
  return { certificates: [ENDPOINT, ...others].flatMap((e) => served(e, leaf, root)), anchors: [root], endpoints: recorded };
};

export const PROTOCOL_CASES: readonly RuleCase[] = casesOf(legacyProtocol, [
  ["accepts TLS 1.0 (and everything after): high", endpoints({ [ENDPOINT]: { protocols: posture("TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3") } }),
    { [ENDPOINT]: "high" }, examined(1)],
  ["accepts TLS 1.1 but not 1.0: medium", endpoints({ [ENDPOINT]: { protocols: posture("TLSv1.1", "TLSv1.2") } }), { [ENDPOINT]: "medium" }, examined(1)],
  ["accepts only TLS 1.2 and 1.3", endpoints({ [ENDPOINT]: { protocols: posture("TLSv1.2", "TLSv1.3") } }), SILENT, examined(1)],
  ["TLS 1.0 could not be tried (an error): not evidence either way", endpoints({
    [ENDPOINT]: { protocols: { ...posture("TLSv1.2"), TLSv1: { outcome: "error", error: "no TLSv1 handshake within 5000 ms" } } },
  }), SILENT, examined(1)],
  ["no posture, but the ordinary handshake negotiated TLS 1.0", endpoints({ [ENDPOINT]: { tlsVersion: "TLSv1", protocols: null } }),
    { [ENDPOINT]: "high" }, examined(1)],
  ["no posture and TLS 1.3 negotiated: the run cannot tell, not examined", endpoints({}), SILENT, NOT_APPLICABLE],
  ["two endpoints with posture, one accepting TLS 1.1: one finding", endpoints({
    [ENDPOINT]: { protocols: posture("TLSv1.2", "TLSv1.3") }, "192.0.2.21:443#www.example.test": { protocols: posture("TLSv1.1", "TLSv1.2") },
  }, ["192.0.2.21:443#www.example.test"]), { "192.0.2.21:443#www.example.test": "medium" }, examined(2)],
]);

import type { InventoryRule } from "../src/engine/rule.js";
import type { InventoryView } from "../src/inventory/inventory.js";
import type { Severity, TlsProtocolVersion } from "../src/model/types.js";
import type { EndpointRow } from "../src/store/store.js";

/** The versions RFC 8996 deprecates, oldest first. */
const LEGACY: readonly TlsProtocolVersion[] = ["TLSv1", "TLSv1.1"];

/**
 * The legacy versions an endpoint is seen to accept: from its protocol posture (--protocols), or,
 * without one, the version its ordinary handshake negotiated (a client offering up to TLS 1.3
 * that ends at 1.0 or 1.1 proves the server accepts it). Null when the run cannot tell.
 */
function legacyAccepted(e: EndpointRow): TlsProtocolVersion[] | null {
  if (e.protocols) return LEGACY.filter((v) => e.protocols![v]?.outcome === "accepted");
  return LEGACY.includes(e.tlsVersion as TlsProtocolVersion) ? [e.tlsVersion as TlsProtocolVersion] : null;
}

const judged = (inv: InventoryView): { endpoint: EndpointRow; accepted: TlsProtocolVersion[] }[] =>
  inv.endpoints.flatMap((endpoint) => {
    const accepted = legacyAccepted(endpoint);
    return accepted ? [{ endpoint, accepted }] : [];
  });

export const legacyProtocol: InventoryRule = {
  meta: {
    id: "legacy-protocol",
    title: "Endpoint accepts TLS 1.0 or TLS 1.1",
    category: "security",
    // High when TLS 1.0 is accepted, medium for 1.1 alone: NIST says servers "shall not" use 1.0
    // but only "should not" use 1.1, and 1.0 adds the predictable CBC IVs BEAST exploits, which
    // 1.1 fixed; both keep the MD5/SHA-1 handshake RFC 8996 retires them for.
    severity: "high",
    rationale:
      "RFC 8996 deprecates TLS 1.0 and 1.1: their handshake rests on MD5 and SHA-1, they offer no AEAD cipher suites, and TLS 1.0's predictable CBC IVs are what the BEAST attack exploits. An endpoint that still accepts them lets any client (or an attacker forcing a downgrade on a client that falls back) use them, and shows that protocol versions are not managed.",
    remediation:
      "Set the server's minimum protocol to TLS 1.2 (and enable TLS 1.3); find the clients that still connect with 1.0 or 1.1 from the server's logs first, and upgrade them.",
    references: ["RFC 8996", "NIST SP 800-52 Rev. 2 §3.1", "CVE-2011-3389 (BEAST)"],
  },
  scope: "inventory",
  examines: (inv) => judged(inv).length,
  evaluate: (inv) =>
    judged(inv).flatMap(({ endpoint, accepted }) => {
      if (accepted.length === 0) return [];
      const severity: Severity = accepted.includes("TLSv1") ? "high" : "medium";
      const seen = endpoint.protocols ? "protocol posture" : "negotiated by the ordinary handshake";
      return [{
        message: `${endpoint.id} accepts ${accepted.map((v) => v.replace("TLSv", "TLS ")).join(" and ")} (${seen})`,
        certificate: null,
        endpoints: [endpoint.id],
        url: null,
        subjectKey: endpoint.id,
        severity,
        evidence: { endpoint: endpoint.id, accepted, source: endpoint.protocols ? "posture" : "negotiated" },
      }];
    }),
};

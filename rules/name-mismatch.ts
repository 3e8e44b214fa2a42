import type { InventoryRule } from "../src/engine/rule.js";
import { matchHostName } from "../src/inventory/host-names.js";
import type { CertificateFacts, InventoryView } from "../src/inventory/inventory.js";
import { label } from "../src/inventory/inventory.js";
import type { EndpointRow } from "../src/store/store.js";

/** An endpoint probed with a name (sent as SNI) and the leaf it answered with. */
interface NamedEndpoint {
  endpoint: EndpointRow & { sni: string };
  leaf: CertificateFacts;
}

/** Endpoints probed by address alone are not examined: no name was asked for, none can mismatch. */
function namedEndpoints(inv: InventoryView): NamedEndpoint[] {
  return inv.endpoints.flatMap((endpoint) => {
    const leaf = endpoint.chain[0] === undefined ? undefined : inv.bySha.get(endpoint.chain[0]);
    return endpoint.sni !== null && leaf ? [{ endpoint: { ...endpoint, sni: endpoint.sni }, leaf }] : [];
  });
}

export const nameMismatch: InventoryRule = {
  meta: {
    id: "name-mismatch",
    title: "Certificate does not cover the host name it is served for",
    category: "security",
    severity: "high",
    rationale:
      "Clients refuse a certificate that does not name the host they connect to, so the service fails for every client that checks; and users taught to click through the warning will accept an attacker's certificate as readily.",
    remediation:
      "Re-issue the certificate with every name the service answers to in subjectAltName (a wildcard covers one label only), or serve the right certificate for that name (SNI configuration).",
    references: ["RFC 6125 §6.4", "RFC 9525 §6.3", "CA/Browser Forum Baseline Requirements §7.1.2.7.12", "RFC 5280 §4.2.1.6"],
  },
  scope: "inventory",
  examines: (inv) => namedEndpoints(inv).length,
  evaluate: (inv) => {
    // One finding per certificate and name: the same name served by several addresses is one problem.
    const mismatches = new Map<string, { leaf: CertificateFacts; name: string; presented: string[]; endpoints: string[] }>();
    for (const { endpoint, leaf } of namedEndpoints(inv)) {
      const match = matchHostName(leaf.record, endpoint.sni);
      if (match.covered) continue;
      const key = `${leaf.sha256}|${endpoint.sni}`;
      const known = mismatches.get(key);
      if (known) known.endpoints.push(endpoint.id);
      else mismatches.set(key, { leaf, name: endpoint.sni, presented: match.presented, endpoints: [endpoint.id] });
    }
    return [...mismatches.values()].map(({ leaf, name, presented, endpoints }) => ({
      message: `"${label(leaf)}" is served for ${name} but does not cover it (${presented.length > 0 ? `it names ${presented.join(", ")}` : "it names no host"})`,
      certificate: leaf.sha256,
      endpoints,
      url: null,
      subjectKey: name,
      evidence: { name, presented, endpoints },
    }));
  },
};

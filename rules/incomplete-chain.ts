import type { InventoryRule } from "../src/engine/rule.js";
import { label } from "../src/inventory/inventory.js";

export const incompleteChain: InventoryRule = {
  meta: {
    id: "incomplete-chain",
    title: "Server omits intermediate certificates",
    category: "reliability",
    severity: "medium",
    rationale:
      "Clients that do not fetch missing intermediates over AIA (most non-browser clients: Java, Go, curl, IoT) fail to validate an incomplete chain, even though browsers may succeed.",
    remediation: "Configure the server to send the leaf followed by every intermediate up to (not including) the root.",
    references: ["RFC 8446 §4.4.2", "RFC 5246 §7.4.2"],
  },
  scope: "inventory",
  examines: (inv) => inv.endpoints.filter((e) => e.chain.length > 0).length,
  evaluate: (inv) =>
    inv.endpoints.flatMap((endpoint) => {
      const leaf = endpoint.chain[0] ? inv.bySha.get(endpoint.chain[0]) : undefined;
      const path = leaf?.path?.trustedPath;
      if (!leaf || !path) return [];
      // Everything between the leaf and the anchor must be served; the anchor need not be.
      const missing = path.slice(1, -1).filter((id) => !endpoint.chain.includes(id));
      if (missing.length === 0) return [];
      const subjects = missing.map((id) => {
        const c = inv.bySha.get(id);
        return { sha256: id, subject: c ? label(c) : id, obtainedFrom: c ? [...c.sources] : [] };
      });
      return [{
        message: `serves ${endpoint.chain.length} certificate(s) but not ${subjects.map((s) => `"${s.subject}"`).join(", ")} needed to reach the anchor`,
        certificate: leaf.sha256,
        endpoints: [endpoint.id],
        url: null,
        subjectKey: endpoint.id,
        evidence: { served: endpoint.chain, missing: subjects, trustedPath: path },
      }];
    }),
};

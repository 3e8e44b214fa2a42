// A reference to an inventory object by its stable id: what metrics, criteria and levels cite.
export type EvidenceKind = "certificate" | "endpoint" | "finding" | "crl" | "ocsp-responder" | "template" | "enterprise-ca";

export interface EvidenceRef {
  kind: EvidenceKind;
  id: string;
  /** The run the object was seen in (set when several runs are scored together). */
  run?: string;
}

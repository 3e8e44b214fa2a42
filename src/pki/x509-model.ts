// @peculiar/x509, loaded on first use: its ASN.1 model reads only the certificates the DER walk
// (der-certificate.ts) does not take and prints Names the walk cannot, yet loading it (about 200
// CommonJS files with its asn1 schemas, tsyringe and the reflect-metadata polyfill it needs first)
// was a large part of every scan's start-up. Synchronous (require, the package's CommonJS build,
// which is also what an ESM import of it loads) because the parsers are.
import { createRequire } from "node:module";
import type * as X509 from "@peculiar/x509";
import type * as AsnSchema from "@peculiar/asn1-schema";

const require = createRequire(import.meta.url);

export interface X509Model {
  x509: typeof X509;
  /**
   * The AsnConvert of the copy of @peculiar/asn1-schema x509 itself uses: it serializes objects of
   * x509's model by their classes, which a bundled copy of the schema library would not know.
   */
  AsnConvert: typeof AsnSchema.AsnConvert;
}

let model: X509Model | null = null;

export function x509Model(): X509Model {
  if (!model) {
    require("reflect-metadata");
    const x509 = require("@peculiar/x509") as typeof X509;
    const { AsnConvert } = require("@peculiar/asn1-schema") as typeof AsnSchema;
    model = { x509, AsnConvert };
  }
  return model;
}

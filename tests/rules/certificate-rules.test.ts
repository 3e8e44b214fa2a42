// Certificate rules, case by case: tests/rules/certificate-cases.ts.
import { CERTIFICATE_CASES } from "./certificate-cases.js";
import { ruleTable } from "./cases.js";

ruleTable("certificate rules", CERTIFICATE_CASES);

// Revocation rules, case by case: tests/rules/revocation-cases.ts.
import { REVOCATION_CASES } from "./revocation-cases.js";
import { ruleTable } from "./cases.js";

ruleTable("revocation rules", REVOCATION_CASES);

// AD CS rules, case by case on hand-written snapshots: tests/rules/adcs-cases.ts.
import { ADCS_CASES } from "./adcs-cases.js";
import { ruleTable } from "./cases.js";

ruleTable("AD CS rules", ADCS_CASES);

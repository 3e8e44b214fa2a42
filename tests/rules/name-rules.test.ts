// Host-name rules, case by case: tests/rules/name-cases.ts.
import { NAME_CASES } from "./name-cases.js";
import { ruleTable } from "./cases.js";

ruleTable("host-name rules", NAME_CASES);

// Protocol rules, case by case: tests/rules/protocol-cases.ts.
import { PROTOCOL_CASES } from "./protocol-cases.js";
import { ruleTable } from "./cases.js";

ruleTable("protocol rules", PROTOCOL_CASES);

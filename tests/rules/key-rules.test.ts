// Private-key rules, case by case: tests/rules/key-cases.ts.
import { KEY_CASES } from "./key-cases.js";
import { ruleTable } from "./cases.js";

ruleTable("private key rules", KEY_CASES);

// Path and inventory-wide rules, case by case: tests/rules/chain-cases.ts.
import { CHAIN_CASES } from "./chain-cases.js";
import { ruleTable } from "./cases.js";

ruleTable("chain rules", CHAIN_CASES);

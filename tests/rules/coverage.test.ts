// Every rule of the registry has a behaviour table: at least one case where it fires and one
// where it must not, and no table names a rule RULES lacks.
import { describe, expect, it } from "vitest";
import { RULES } from "../../rules/index.js";
import { ADCS_CASES } from "./adcs-cases.js";
import { CERTIFICATE_CASES } from "./certificate-cases.js";
import { CHAIN_CASES } from "./chain-cases.js";
import { KEY_CASES } from "./key-cases.js";
import { NAME_CASES } from "./name-cases.js";
import { PROTOCOL_CASES } from "./protocol-cases.js";
import { REVOCATION_CASES } from "./revocation-cases.js";

const TABLES = { CERTIFICATE_CASES, CHAIN_CASES, NAME_CASES, PROTOCOL_CASES, REVOCATION_CASES, ADCS_CASES, KEY_CASES };
const ALL = Object.values(TABLES).flat();

describe("rule behaviour tables", () => {
  it.each(RULES.map((r) => [r.meta.id, r] as const))("%s has a case that fires and one that does not", (id, rule) => {
    const cases = ALL.filter((c) => c.rule === rule);
    expect(cases.filter((c) => Object.keys(c.fires).length > 0).map((c) => c.name), `${id}: no case fires`).not.toEqual([]);
    expect(cases.filter((c) => Object.keys(c.fires).length === 0).map((c) => c.name), `${id}: no case stays silent`).not.toEqual([]);
  });

  it("covers only registered rules, and names each case once per rule", () => {
    expect(ALL.filter((c) => !RULES.includes(c.rule)).map((c) => c.rule.meta.id)).toEqual([]);
    const titles = ALL.map((c) => `${c.rule.meta.id}: ${c.name}`);
    expect(titles.filter((t, i) => titles.indexOf(t) !== i)).toEqual([]);
  });

  it("tests each rule in one table only", () => {
    const owners = new Map<string, Set<string>>();
    for (const [table, cases] of Object.entries(TABLES)) {
      for (const c of cases) owners.set(c.rule.meta.id, (owners.get(c.rule.meta.id) ?? new Set()).add(table));
    }
    expect([...owners].filter(([, tables]) => tables.size > 1).map(([id]) => id)).toEqual([]);
  });
});

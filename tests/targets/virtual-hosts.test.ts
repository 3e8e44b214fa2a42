// Virtual hosts: the `name@address` target form and the names lists of --sni-names and a profile
// network's sniNames. The probes over real servers are in tests/cli/virtual-hosts-posture.test.ts.
import { describe, expect, it } from "vitest";
import { UsageError } from "../../src/errors.js";
import { MAX_SNI_NAME_ADDRESSES, parseSniNames, sniTargetSpecs } from "../../src/targets/sni-names.js";
import { type TargetSpec, expandProbes, parseTarget } from "../../src/targets/targets.js";

const probesOf = (specs: TargetSpec[], ports = [443]) =>
  [...expandProbes(specs, ports)].map((p) => `${p.address}:${p.port}${p.sni ? `#${p.sni}` : ""}${p.hostname ? " (resolve)" : ""}`);

describe("name@address targets", () => {
  it.each([
    ["www.example.test@192.0.2.9", ["192.0.2.9:443#www.example.test"]],
    ["WWW.Example.Test.@192.0.2.9:8443", ["192.0.2.9:8443#www.example.test"]],
    ["api.example.test@[2001:db8::1]:636", ["2001:db8::1:636#api.example.test"]],
    ["api.example.test@192.0.2.8/31", ["192.0.2.8:443#api.example.test", "192.0.2.9:443#api.example.test"]],
  ])("%s sends the name to the address as given, with no DNS lookup", (text, probes) => {
    expect(probesOf([parseTarget(text)])).toEqual(probes);
  });

  it.each([
    ["192.0.2.1@192.0.2.9", /host name before the @/],
    ["www.example.test@other.example.test", /not an address, range or CIDR after the @/],
    ["a@b.example.test@192.0.2.9", /host name before the @/],
    ["www.example.test@192.0.2.300", /not a CIDR, range, address/],
    ["@192.0.2.9", /host name before the @/],
  ])("refuses %s", (text, message) => {
    expect(() => parseTarget(text)).toThrow(UsageError);
    expect(() => parseTarget(text)).toThrow(message);
  });
});

describe("names lists", () => {
  const FILE = `# virtual hosts of the DMZ
www.example.test 192.0.2.10
api.example.test 192.0.2.10:8443   # the API listens elsewhere

Mail.Example.Test
`;

  it("reads names with and without an address, skipping comments and blank lines", () => {
    expect(parseSniNames(FILE, "names.txt")).toEqual([
      { name: "www.example.test", address: "192.0.2.10" },
      { name: "api.example.test", address: "192.0.2.10:8443" },
      { name: "mail.example.test", address: null },
    ]);
  });

  it.each([
    ["www.example.test 192.0.2.10 extra", "names.txt:2: expected \"name\" or \"name address\", got 3 fields"],
    ["www.example.test not-an-address", "names.txt:2: not an address, range or CIDR after the @ of \"www.example.test@not-an-address\""],
    ["10.0.0.1", "names.txt:2: not a host name before the @ of \"10.0.0.1\""],
  ])("a bad line is a usage error naming the file and line: %s", (line, message) => {
    expect(() => parseSniNames(`# first line\n${line}\n`, "names.txt")).toThrow(new UsageError(message));
  });

  it("probes an addressed name at its address, and a bare name at every address target, beside the probes by address", () => {
    const specs = [parseTarget("192.0.2.10"), parseTarget("192.0.2.20:8443"), parseTarget("web.example.test")];
    const named = sniTargetSpecs(parseSniNames(FILE, "names.txt"), specs, "names.txt");
    expect(probesOf([...specs, ...named])).toEqual([
      "192.0.2.10:443", "192.0.2.20:8443", ":443#web.example.test (resolve)",
      "192.0.2.10:443#www.example.test", "192.0.2.10:8443#api.example.test",
      // The bare name at each address target, at that target's ports; hostname targets carry their own name.
      "192.0.2.10:443#mail.example.test", "192.0.2.20:8443#mail.example.test",
    ]);
  });

  it("lists each name and address once however often the file repeats it", () => {
    const named = sniTargetSpecs(parseSniNames("a.test 192.0.2.1\na.test 192.0.2.1\nb.test\nb.test\n", "f"), [parseTarget("192.0.2.2")], "f");
    expect(probesOf(named)).toEqual(["192.0.2.1:443#a.test", "192.0.2.2:443#b.test"]);
  });

  it(`refuses bare names over more than ${MAX_SNI_NAME_ADDRESSES} name and address pairs, saying to give addresses`, () => {
    const names = parseSniNames("a.test\nb.test\n", "names.txt");
    expect(sniTargetSpecs(names, [parseTarget("10.0.0.0/17")], "names.txt")).toHaveLength(2);
    expect(() => sniTargetSpecs(names, [parseTarget("10.0.0.0/17"), parseTarget("10.1.0.1")], "names.txt"))
      .toThrow(/names\.txt: 2 names without an address would each be probed at 32769 addresses .*give each name its address/);
  });
});

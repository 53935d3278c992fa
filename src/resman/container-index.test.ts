import { describe, expect, test } from "bun:test";
import { ContainerIndex } from "./container-index.ts";
import { ContainerRec } from "./container-rec.ts";
import { indexOf } from "./state.ts";

const R = { millicores: 1, memory: 1, disk: 0, ssd: 0 };
const rec = (id: string, group: string) => new ContainerRec(id, group, indexOf(id), R);

describe("ContainerIndex", () => {
  test("containers named `${group}.${index}` are found by id and listed by index, dotted group names included", () => {
    const ix = new ContainerIndex();
    for (const id of ["a.b.2", "a.b.0", "a.1"]) ix.add(rec(id, id.slice(0, id.lastIndexOf("."))));
    expect(ix.get("a.b.2")?.id).toBe("a.b.2");
    expect(ix.get("a.1")?.group).toBe("a");
    expect(ix.get("a.b.1")).toBeUndefined();
    expect(ix.get("a.2")).toBeUndefined();
    expect(ix.ofGroup("a.b").map((c) => c.id)).toEqual(["a.b.0", "a.b.2"]);
    expect(ix.groupIds().sort()).toEqual(["a", "a.b"]);
    expect(ix.size).toBe(3);
    expect(() => ix.add(rec("a.1", "a"))).toThrow(/added twice/);
  });

  test("the group looked up last is remembered, and forgotten when its group goes (a new one of that name is found)", () => {
    const ix = new ContainerIndex();
    ix.add(rec("ab.0", "ab"));
    ix.add(rec("a.0", "a"));
    expect(ix.get("ab.0")?.group).toBe("ab");
    expect(ix.get("a.0")?.group).toBe("a"); // a shorter name after a longer one that starts with it
    expect(ix.get("ab.0")?.group).toBe("ab");
    const first = ix.get("ab.0")!;
    ix.delete(first); // the group is gone with its last container
    expect(ix.get("ab.0")).toBeUndefined();
    const again = rec("ab.0", "ab");
    ix.add(again);
    expect(ix.get("ab.0")).toBe(again);
    ix.add(rec("ab.1", "ab"));
    expect(ix.ofGroup("ab").length).toBe(2);
  });

  test("oddly named containers are kept aside, found by id and listed last with their group", () => {
    const ix = new ContainerIndex();
    ix.add(rec("g.1", "g"));
    const odd = ["g.01", "g.x", "nodot", "other.3", "g.999999999", "g.-1"];
    for (const id of odd) ix.add(rec(id, "g"));
    for (const id of odd) expect(ix.get(id)?.id).toBe(id);
    expect(ix.get("g.0")).toBeUndefined();
    expect(ix.get("other.3")?.group).toBe("g");
    expect(ix.ofGroup("g").map((c) => c.id)).toEqual(["g.1", ...odd]);
    expect([...ix.values()].length).toBe(7);
    expect(ix.groupIds()).toEqual(["g"]);
  });

  test("delete frees slots, trims the tail and forgets an empty group", () => {
    const ix = new ContainerIndex();
    const cs = [0, 1, 2].map((i) => rec(`w.${i}`, "w"));
    const odd = rec("w.007", "w");
    for (const c of [...cs, odd]) ix.add(c);
    expect(ix.delete(cs[1]!)).toBe(true);
    expect(ix.delete(cs[1]!)).toBe(false);
    expect(ix.get("w.1")).toBeUndefined();
    expect(ix.ofGroup("w").map((c) => c.id)).toEqual(["w.0", "w.2", "w.007"]);
    for (const c of [cs[2]!, odd, cs[0]!]) ix.delete(c);
    expect([ix.size, ix.groupIds(), ix.get("w.007")]).toEqual([0, [], undefined]);
    ix.add(rec("w.1", "w")); // back again after the group emptied
    expect(ix.ofGroup("w").map((c) => c.id)).toEqual(["w.1"]);
  });
});

import { describe, expect, it } from "vitest";
import { applyUpdate, evaluate, project } from "./evaluate.js";
import { parseCondition, parseProjection, parseUpdate, Refs } from "./parser.js";
import type { AV, Item } from "./values.js";

const item: Item = {
  id: { S: "k" },
  n: { N: "10" },
  s: { S: "hello world" },
  tags: { SS: ["a", "b"] },
  lst: { L: [{ N: "1" }, { S: "two" }, { M: { x: { N: "3" } } }] },
  mp: { M: { inr: { M: { deep: { S: "yes" } } } } },
  nul: { NULL: true },
  flag: { BOOL: true },
};

function check(src: string, values: Record<string, AV> = {}, names?: Record<string, string>): boolean {
  return evaluate(parseCondition(src, "ConditionExpression", new Refs(names, values)), item);
}

describe("conditions", () => {
  it("compares numbers, strings and missing attributes", () => {
    expect(check("n > :v", { ":v": { N: "9.5" } })).toBe(true);
    expect(check("n = :v", { ":v": { N: "10.0" } })).toBe(true);
    expect(check("n < :v", { ":v": { S: "z" } })).toBe(false);
    expect(check("absent = :v", { ":v": { N: "1" } })).toBe(false);
    expect(check("absent <> :v", { ":v": { N: "1" } })).toBe(true);
    expect(check("n BETWEEN :a AND :b", { ":a": { N: "10" }, ":b": { N: "11" } })).toBe(true);
    expect(check("n IN (:a, :b)", { ":a": { N: "1" }, ":b": { N: "10" } })).toBe(true);
    expect(() => check("n BETWEEN :a AND :b", { ":a": { N: "5" }, ":b": { N: "1" } })).toThrow(/BETWEEN operator requires upper bound/);
  });

  it("evaluates functions and nested paths", () => {
    expect(check("attribute_exists(mp.inr.deep) AND attribute_not_exists(mp.nope)")).toBe(true);
    expect(check("lst[2].x = :v", { ":v": { N: "3" } })).toBe(true);
    expect(check("attribute_type(nul, :t)", { ":t": { S: "NULL" } })).toBe(true);
    expect(check("begins_with(s, :p)", { ":p": { S: "hell" } })).toBe(true);
    expect(check("contains(s, :p) AND contains(tags, :a) AND contains(lst, :two)", { ":p": { S: "o w" }, ":a": { S: "b" }, ":two": { S: "two" } })).toBe(true);
    expect(check("size(s) = :n AND size(tags) = :two AND size(lst) > :two", { ":n": { N: "11" }, ":two": { N: "2" } })).toBe(true);
    expect(check("NOT flag = :t OR n = :ten", { ":t": { BOOL: true }, ":ten": { N: "10" } })).toBe(true);
    expect(check("NOT (flag = :t OR n = :ten)", { ":t": { BOOL: true }, ":ten": { N: "10" } })).toBe(false);
  });
});

describe("projection", () => {
  it("keeps nested paths and compacts picked list elements", () => {
    expect(project(item, parseProjection("mp.inr.deep, lst[2].x, lst[0], #i", new Refs({ "#i": "id" }, undefined)))).toEqual({
      mp: { M: { inr: { M: { deep: { S: "yes" } } } } },
      lst: { L: [{ N: "1" }, { M: { x: { N: "3" } } }] },
      id: { S: "k" },
    });
  });
});

describe("update", () => {
  const upd = (src: string, values: Record<string, AV> = {}) => applyUpdate(item, parseUpdate(src, new Refs(undefined, values)));
  it("SET with arithmetic, if_not_exists and list_append, from the original item", () => {
    const out = upd("SET n = n + :one, m = if_not_exists(m, :z), lst = list_append(:front, lst), dup = n", {
      ":one": { N: "1" },
      ":z": { N: "0" },
      ":front": { L: [{ S: "f" }] },
    });
    expect(out.n).toEqual({ N: "11" });
    expect(out.m).toEqual({ N: "0" });
    expect(out.dup).toEqual({ N: "10" });
    expect(out.lst.L![0]).toEqual({ S: "f" });
    expect(item.n).toEqual({ N: "10" });
  });

  it("REMOVE, ADD and DELETE", () => {
    const out = upd("REMOVE s, lst[0] ADD n :five, more :more, ctr :five DELETE tags :a", {
      ":five": { N: "5" },
      ":more": { SS: ["c"] },
      ":a": { SS: ["a"] },
    });
    expect(out.s).toBeUndefined();
    expect(out.lst.L).toHaveLength(2);
    expect(out.n).toEqual({ N: "15" });
    expect(out.ctr).toEqual({ N: "5" });
    expect(out.more).toEqual({ SS: ["c"] });
    expect(out.tags).toEqual({ SS: ["b"] });
    const merged = upd("ADD tags :more", { ":more": { SS: ["c", "a"] } });
    expect(merged.tags.SS!.sort()).toEqual(["a", "b", "c"]);
    expect(upd("DELETE tags :all", { ":all": { SS: ["a", "b"] } }).tags).toBeUndefined();
  });

  it("refuses wrong operand types and missing parents", () => {
    expect(() => upd("SET s = s + :one", { ":one": { N: "1" } })).toThrow("An operand in the update expression has an incorrect data type");
    expect(() => upd("SET nope.x = :one", { ":one": { N: "1" } })).toThrow("The document path provided in the update expression is invalid for update");
    expect(() => upd("SET a = nope", {})).toThrow("The provided expression refers to an attribute that does not exist in the item");
  });
});

import { describe, expect, it } from "vitest";
import { parseCondition, parseProjection, parseUpdate, Refs, type Condition } from "./parser.js";

const refs = (names?: Record<string, string>, values?: Record<string, object>) => new Refs(names, values as never);
const cond = (src: string, names?: Record<string, string>, values?: Record<string, object>) => parseCondition(src, "ConditionExpression", refs(names, values));

function shape(c: Condition): string {
  switch (c.type) {
    case "and":
    case "or":
      return `(${shape(c.a)} ${c.type.toUpperCase()} ${shape(c.b)})`;
    case "not":
      return `NOT ${shape(c.a)}`;
    case "cmp":
      return `${c.a.type === "path" ? c.a.elements.join(".") : "v"}${c.op}`;
    case "fn":
      return c.name;
    default:
      return c.type;
  }
}

describe("condition grammar", () => {
  const v = { ":v": { N: "1" } };
  it("binds NOT tighter than AND, AND tighter than OR", () => {
    expect(shape(cond("a = :v OR b = :v AND c = :v", undefined, v))).toBe("(a= OR (b= AND c=))");
    expect(shape(cond("NOT a = :v AND b = :v", undefined, v))).toBe("(NOT a= AND b=)");
    expect(shape(cond("(a = :v OR b = :v) AND c = :v", undefined, v))).toBe("((a= OR b=) AND c=)");
    expect(shape(cond("a = :v or b = :v and not c = :v", undefined, v))).toBe("(a= OR (b= AND NOT c=))");
  });

  it("parses every comparator, BETWEEN, IN, functions and size", () => {
    for (const op of ["=", "<>", "<", "<=", ">", ">="]) expect(shape(cond(`a ${op} :v`, undefined, v))).toBe(`a${op}`);
    expect(shape(cond("a BETWEEN :v AND :v", undefined, v))).toBe("between");
    expect(shape(cond("a IN (:v, :v)", undefined, v))).toBe("in");
    expect(shape(cond("attribute_exists(a.b[2].c)"))).toBe("attribute_exists");
    expect(shape(cond("size(a) > :v", undefined, v))).toBe("v>");
    expect(shape(cond("begins_with(#n, :v) AND contains(x, :v)", { "#n": "name" }, v))).toBe("(begins_with AND contains)");
  });

  it("resolves names and paths", () => {
    const c = cond("#a.#b[3] = :v", { "#a": "x", "#b": "y.z" }, v);
    expect(c.type === "cmp" && c.a.type === "path" && c.a.elements).toEqual(["x", "y.z", 3]);
  });

  it("rejects syntax errors and unknown functions with AWS's wording", () => {
    expect(() => cond("a = ", undefined, v)).toThrow(/^Invalid ConditionExpression: Syntax error; token: "<EOF>"/);
    expect(() => cond("a == :v", undefined, v)).toThrow(/Invalid ConditionExpression: Syntax error; token: "="/);
    expect(() => cond("foo(a)")).toThrow("Invalid ConditionExpression: Invalid function name; function: foo");
    expect(() => cond("attribute_exists(a, b)")).toThrow(/Incorrect number of operands/);
    expect(() => cond("")).toThrow("Invalid ConditionExpression: The expression can not be empty;");
    const long = Array.from({ length: 700 }, () => "a = :v").join(" OR ");
    expect(() => cond(long, undefined, { ":v": { N: "1" } })).toThrow(`Invalid ConditionExpression: Expression size has exceeded the maximum allowed size; expression size: ${long.length}`);
  });

  it("refuses reserved words as bare names, in any case, but not behind an alias", () => {
    expect(() => cond("status = :v", undefined, { ":v": { S: "x" } })).toThrow(
      "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: status",
    );
    expect(() => cond("a.Name = :v", undefined, { ":v": { S: "x" } })).toThrow("reserved keyword: Name");
    expect(() => parseProjection("id, data", refs())).toThrow("Invalid ProjectionExpression: Attribute name is a reserved keyword; reserved keyword: data");
    expect(shape(cond("#s = :v", { "#s": "status" }, { ":v": { S: "x" } }))).toBe("status=");
  });

  it("reports undefined and unused names and values", () => {
    expect(() => cond("a = :x")).toThrow("Invalid ConditionExpression: An expression attribute value used in expression is not defined; attribute value: :x");
    expect(() => cond("#x = :v", undefined, v)).toThrow(
      "Invalid ConditionExpression: An expression attribute name used in the document path is not defined; attribute name: #x",
    );
    const r = refs({ "#a": "a", "#b": "b" }, { ":v": { N: "1" }, ":x": { N: "2" }, ":y": { N: "3" } });
    parseCondition("#a = :v", "ConditionExpression", r);
    expect(() => r.checkUnused()).toThrow("Value provided in ExpressionAttributeNames unused in expressions: keys: {#b}");
    const r2 = refs(undefined, { ":v": { N: "1" }, ":x": { N: "2" } });
    parseCondition("a = :v", "ConditionExpression", r2);
    expect(() => r2.checkUnused()).toThrow("Value provided in ExpressionAttributeValues unused in expressions: keys: {:x}");
  });
});

describe("projection and update grammars", () => {
  it("parses projections", () => {
    expect(parseProjection("a, b.c, d[1]", refs()).map((p) => p.elements)).toEqual([["a"], ["b", "c"], ["d", 1]]);
  });

  it("parses every update section once", () => {
    const u = parseUpdate("SET a = a + :one, b = if_not_exists(b, :z), c = list_append(c, :l) REMOVE d, e[0] ADD f :one DELETE g :s", refs(undefined, {
      ":one": { N: "1" },
      ":z": { N: "0" },
      ":l": { L: [] },
      ":s": { SS: ["x"] },
    }));
    expect(u.map((a) => a.type)).toEqual(["SET", "SET", "SET", "REMOVE", "REMOVE", "ADD", "DELETE"]);
    expect(() => parseUpdate("SET a = :v SET b = :v", refs(undefined, { ":v": { N: "1" } }))).toThrow(
      'Invalid UpdateExpression: The "SET" section can only be used once in an update expression;',
    );
    expect(() => parseUpdate("SET a = :v REMOVE a.b", refs(undefined, { ":v": { N: "1" } }))).toThrow(/Two document paths overlap/);
    expect(() => parseUpdate("SET a = size(b)", refs())).toThrow(/function: size/);
  });
});

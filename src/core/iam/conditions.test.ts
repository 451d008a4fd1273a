import { describe, expect, it } from "vitest";
import { compileConditions, parseOperator } from "./conditions.js";
import { parseTemplate, resolvePlain } from "./variables.js";
import { compileArnGlob, compileGlob, compileGlobs, hasPrefix } from "./wildcard.js";

const cond = (block: Record<string, Record<string, string[]>>, vars = true) => compileConditions(block, vars)!;

describe("parseOperator", () => {
  it("splits set qualifiers and IfExists", () => {
    expect(parseOperator("ForAnyValue:StringLikeIfExists")).toEqual({ set: "ForAnyValue", base: "StringLike", ifExists: true });
    expect(parseOperator("Bool")).toEqual({ set: undefined, base: "Bool", ifExists: false });
  });
  it("refuses unknown operators, NullIfExists and bad qualifiers", () => {
    for (const op of ["StringEqualz", "NullIfExists", "ForSomeValues:StringEquals", "stringequals"]) expect(parseOperator(op), op).toBeUndefined();
  });
});

describe("IP addresses", () => {
  const ip = (range: string, addr: string) => cond({ IpAddress: { "aws:SourceIp": [range] } })({ "aws:sourceip": addr });
  it("IPv4 prefixes of every length", () => {
    expect(ip("10.0.0.0/8", "10.255.255.255")).toBe(true);
    expect(ip("10.0.0.0/8", "11.0.0.0")).toBe(false);
    expect(ip("192.168.1.128/25", "192.168.1.200")).toBe(true);
    expect(ip("192.168.1.128/25", "192.168.1.127")).toBe(false);
    expect(ip("0.0.0.0/0", "8.8.8.8")).toBe(true);
  });
  it("IPv6: compressed forms, loopback, IPv4-mapped", () => {
    expect(ip("::1/128", "::1")).toBe(true);
    expect(ip("2001:db8::/32", "2001:0db8:0000:0000:0000:0000:0000:0001")).toBe(true);
    expect(ip("2001:db8::/32", "2001:db9::1")).toBe(false);
    expect(ip("10.0.0.0/8", "::ffff:10.1.2.3")).toBe(true);
  });
  it("garbage never matches", () => {
    expect(ip("10.0.0.0/8", "not-an-ip")).toBe(false);
    expect(ip("10.0.0.0/33", "10.0.0.1")).toBe(false);
    expect(ip("300.0.0.0/8", "300.0.0.1")).toBe(false);
  });
});

describe("dates and numbers", () => {
  it("ISO 8601 with and without milliseconds, and epoch seconds, compare as instants", () => {
    const f = cond({ DateLessThan: { "aws:CurrentTime": ["2026-11-22T08:00:00Z"] } });
    expect(f({ "aws:currenttime": "2026-11-22T07:59:59.999Z" })).toBe(true);
    expect(f({ "aws:currenttime": String(Date.parse("2026-11-22T08:00:01Z") / 1000) })).toBe(false);
    expect(f({ "aws:currenttime": "yesterday" })).toBe(false);
  });
  it("numbers: decimals and negatives", () => {
    const f = cond({ NumericGreaterThan: { "x:n": ["-1.5"] } });
    expect(f({ "x:n": "0" })).toBe(true);
    expect(f({ "x:n": "-2" })).toBe(false);
    expect(f({ "x:n": "" })).toBe(false);
  });
});

describe("policy variables", () => {
  it("parses keys, defaults and the three escapes; other ${...} stay text", () => {
    expect(parseTemplate("home/${aws:username}/*")).toEqual([{ kind: "text", text: "home/" }, { kind: "var", key: "aws:username" }, { kind: "text", text: "/*" }]);
    expect(parseTemplate("${aws:PrincipalTag/team, 'none'}")).toEqual([{ kind: "var", key: "aws:principaltag/team", fallback: "none" }]);
    expect(parseTemplate("a${*}b${?}${$}")).toEqual([{ kind: "text", text: "a" }, { kind: "literal", text: "*" }, { kind: "text", text: "b" }, { kind: "literal", text: "?" }, { kind: "literal", text: "$" }]);
    expect(parseTemplate("no variables")).toBeUndefined();
    expect(parseTemplate("${not a var}")).toBeUndefined();
  });
  it("resolves plainly for equality operators", () => {
    expect(resolvePlain(parseTemplate("u-${aws:username}")!, { "aws:username": "bo" })).toBe("u-bo");
    expect(resolvePlain(parseTemplate("u-${aws:username}")!, {})).toBeUndefined();
    expect(resolvePlain(parseTemplate("u-${aws:username, 'x'}")!, {})).toBe("u-x");
  });
  it("Version 2008-10-17 conditions take ${...} literally", () => {
    const f = cond({ StringEquals: { "x:k": ["${aws:username}"] } }, false);
    expect(f({ "x:k": "${aws:username}", "aws:username": "a" })).toBe(true);
    expect(f({ "x:k": "a", "aws:username": "a" })).toBe(false);
  });
});

describe("wildcards", () => {
  it("globs: exact, prefix, infix and ?", () => {
    expect(compileGlob("abc")("abc")).toBe(true);
    expect(compileGlob("ab*")("abzzz")).toBe(true);
    expect(compileGlob("a*c")("abbbc")).toBe(true);
    expect(compileGlob("a*c")("abbbd")).toBe(false);
    expect(compileGlob("a?c")("abc")).toBe(true);
    expect(compileGlob("a?c")("ac")).toBe(false);
    expect(compileGlob("a.c")("abc")).toBe(false);
    expect(compileGlob("a(b)+")("a(b)+")).toBe(true);
  });
  it("glob lists, case-folded for actions", () => {
    const m = compileGlobs(["S3:Get*", "sqs:SendMessage"], true);
    expect(m("s3:getobject")).toBe(true);
    expect(m("sqs:sendmessage")).toBe(true);
    expect(m("sqs:sendmessagebatch")).toBe(false);
    const mixed = compileGlobs(["a*", "b?c", "exact"]);
    expect([mixed("abc"), mixed("bxc"), mixed("exact"), mixed("bc")]).toEqual([true, true, true, false]);
  });
  it("ArnLike matches each of the six parts on its own", () => {
    const m = compileArnGlob("arn:aws:sqs:*:123456789012:q*");
    expect(m("arn:aws:sqs:eu-west-1:123456789012:queue")).toBe(true);
    expect(m("arn:aws:sqs:eu-west-1:999999999999:queue")).toBe(false);
    expect(compileArnGlob("arn:aws:iam::*:role/a:b")("arn:aws:iam::1:role/a:b")).toBe(true);
    expect(compileArnGlob("arn:aws:s3:::*")("arn:aws:s3:::b/k:with:colons")).toBe(true);
  });
  it("hasPrefix", () => {
    expect(hasPrefix("arn:aws:s3:::b/k", "arn:aws:s3:::b/")).toBe(true);
    expect(hasPrefix("arn:aws:s3:::c/k", "arn:aws:s3:::b/")).toBe(false);
    expect(hasPrefix("ab", "abc")).toBe(false);
    expect(hasPrefix("x", "")).toBe(true);
  });
});

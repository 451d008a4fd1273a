// Tokens of DynamoDB's expression languages (condition, filter, key condition, projection,
// update): names (foo, #n), values (:v), list indexes, punctuation and comparators. Keywords
// (AND, OR, NOT, BETWEEN, IN, SET, REMOVE, ADD, DELETE) are names here; the parser decides.
import { validation } from "./values.js";

export type TokenKind = "name" | "alias" | "value" | "number" | "op" | "punct" | "eof";

export interface Token {
  kind: TokenKind;
  text: string;
  pos: number;
}

const PUNCT = new Set(["(", ")", "[", "]", ",", ".", "+", "-"]);

export function tokenize(src: string, kind: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const start = i;
    if (c === "#" || c === ":") {
      i++;
      while (i < src.length && /[A-Za-z0-9_]/.test(src[i])) i++;
      if (i === start + 1) throw syntaxError(kind, src, c, start);
      out.push({ kind: c === "#" ? "alias" : "value", text: src.slice(start, i), pos: start });
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      while (i < src.length && /[A-Za-z0-9_]/.test(src[i])) i++;
      out.push({ kind: "name", text: src.slice(start, i), pos: start });
      continue;
    }
    if (/[0-9]/.test(c)) {
      while (i < src.length && /[0-9]/.test(src[i])) i++;
      out.push({ kind: "number", text: src.slice(start, i), pos: start });
      continue;
    }
    const two = src.slice(i, i + 2);
    if (two === "<>" || two === "<=" || two === ">=") {
      out.push({ kind: "op", text: two, pos: start });
      i += 2;
      continue;
    }
    if (c === "=" || c === "<" || c === ">") {
      out.push({ kind: "op", text: c, pos: start });
      i++;
      continue;
    }
    if (PUNCT.has(c)) {
      out.push({ kind: "punct", text: c, pos: start });
      i++;
      continue;
    }
    throw validation(`Invalid ${kind}: Invalid character encountered; character: "${c}", near: "${src.slice(Math.max(0, i - 1), i + 2)}"`);
  }
  out.push({ kind: "eof", text: "<EOF>", pos: src.length });
  return out;
}

export function syntaxError(kind: string, src: string, token: string, pos: number) {
  const near = src.slice(pos, Math.min(src.length, pos + token.length + 8)).trim();
  return validation(`Invalid ${kind}: Syntax error; token: "${token}", near: "${near}"`);
}

// PartiQL for DynamoDB: the statement forms DynamoDB documents, parsed straight into the
// expression engine's structures (engine/parser.ts Condition, Path, UpdateAction), so that
// evaluation, projection and updates have one implementation:
//   SELECT (* | path, ...) FROM "table"["."index"] [WHERE cond]
//   INSERT INTO "table" VALUE {'attr': value, ...}
//   UPDATE "table" (SET path = expr[, ...] | REMOVE path[, ...])+ WHERE cond [RETURNING (ALL|MODIFIED) (OLD|NEW) *]
//   DELETE FROM "table" WHERE cond [RETURNING ALL OLD *]
// cond:  cond OR cond | cond AND cond | NOT cond | (cond) | operand (= | <> | != | < | <= | > | >=) operand
//        | operand BETWEEN operand AND operand | operand IN (list) | path IS [NOT] (MISSING | NULL)
//        | begins_with(path, v) | contains(path, v) | attribute_type(path, 'S') | size(path) ...
// values: 'string', numbers, TRUE, FALSE, NULL, {'k': v}, [v, ...], <<v, ...>>, ? (parameters,
// bound in order). Identifiers are bare (case kept) or "double-quoted".
import type { Condition, Operand, Path, PathElement, UpdateAction } from "../engine/parser.js";
import { normalizeValue, typeOf, validation, type AV } from "../engine/values.js";

type Kind = "ident" | "qident" | "string" | "number" | "punct" | "param" | "eof";
interface Token {
  kind: Kind;
  text: string;
  pos: number;
}

const PUNCT = [";", "<<", ">>", "<>", "!=", "<=", ">=", "=", "<", ">", ",", ".", "[", "]", "{", "}", "(", ")", ":", "*", "+", "-"];

export function malformed(detail: string): Error {
  return validation(`Statement wasn't well formed, can't be processed: ${detail}`);
}

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (src.startsWith("--", i)) {
      while (i < src.length && src[i] !== "\n") i++;
      continue;
    }
    if (src.startsWith("/*", i)) {
      const close = src.indexOf("*/", i + 2);
      if (close < 0) throw malformed("");
      i = close + 2;
      continue;
    }
    const start = i;
    if (c === "'" || c === '"') {
      let text = "";
      i++;
      for (;;) {
        if (i >= src.length) throw malformed(`Unexpected end of input, expected closing ${c}`);
        if (src[i] === c) {
          if (src[i + 1] === c) {
            text += c;
            i += 2;
            continue;
          }
          i++;
          break;
        }
        text += src[i++];
      }
      out.push({ kind: c === "'" ? "string" : "qident", text, pos: start });
      continue;
    }
    if (/[A-Za-z_$]/.test(c)) {
      while (i < src.length && /[A-Za-z0-9_$]/.test(src[i])) i++;
      out.push({ kind: "ident", text: src.slice(start, i), pos: start });
      continue;
    }
    if (/[0-9]/.test(c) || (c === "." && /[0-9]/.test(src[i + 1] ?? ""))) {
      while (i < src.length && /[0-9.]/.test(src[i])) i++;
      if (/[eE]/.test(src[i] ?? "") && /[-+0-9]/.test(src[i + 1] ?? "")) {
        i += 2;
        while (i < src.length && /[0-9]/.test(src[i])) i++;
      }
      out.push({ kind: "number", text: src.slice(start, i), pos: start });
      continue;
    }
    if (c === "?") {
      out.push({ kind: "param", text: "?", pos: start });
      i++;
      continue;
    }
    const p = PUNCT.find((x) => src.startsWith(x, i));
    if (!p) throw malformed("");
    out.push({ kind: "punct", text: p, pos: start });
    i += p.length;
  }
  out.push({ kind: "eof", text: "<EOF>", pos: src.length });
  return out;
}

export type Returning = "ALL_OLD" | "ALL_NEW" | "UPDATED_OLD" | "UPDATED_NEW" | undefined;

export type Statement =
  | { type: "select"; table: string; index?: string; paths?: Path[]; where?: Condition; order?: { attr: string; desc: boolean } }
  | { type: "insert"; table: string; item: Record<string, AV> }
  | { type: "update"; table: string; actions: UpdateAction[]; where: Condition; returning: Returning }
  | { type: "delete"; table: string; where: Condition; returning: Returning };

const COMPARATORS: Record<string, "=" | "<>" | "<" | "<=" | ">" | ">="> = { "=": "=", "<>": "<>", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">=" };

class Parser {
  private i = 0;
  private readonly toks: Token[];
  private param = 0;
  constructor(
    src: string,
    private readonly params: AV[],
  ) {
    this.toks = tokenize(src);
  }

  get usedParams(): number {
    return this.param;
  }

  peek(o = 0): Token {
    return this.toks[Math.min(this.i + o, this.toks.length - 1)];
  }
  next(): Token {
    return this.toks[this.i++] ?? this.toks[this.toks.length - 1];
  }
  word(w: string, o = 0): boolean {
    const t = this.peek(o);
    return t.kind === "ident" && t.text.toUpperCase() === w;
  }
  punct(p: string, o = 0): boolean {
    const t = this.peek(o);
    return t.kind === "punct" && t.text === p;
  }
  fail(t: Token = this.peek()): never {
    throw malformed(t.kind === "eof" ? "Unexpected end of statement" : `Unexpected token '${t.text}' at position ${t.pos}`);
  }
  expectWord(w: string): void {
    if (!this.word(w)) this.fail();
    this.next();
  }
  expectPunct(p: string): void {
    if (!this.punct(p)) this.fail();
    this.next();
  }
  end(): void {
    if (this.punct(";")) this.next();
    if (this.peek().kind !== "eof") throw malformed("Unexpected token after expression");
  }

  /** A table name may not be followed by an alias (`FROM "t" t`, `FROM "t" AS t`). */
  private noAlias(...allowed: string[]): void {
    const t = this.peek();
    if (t.kind === "qident" || (t.kind === "ident" && !allowed.includes(t.text.toUpperCase()))) throw validation("Aliasing is not supported");
  }

  // ---------------------------------------------------------------- statements

  statement(): Statement {
    if (this.word("SELECT")) return this.select();
    if (this.word("INSERT")) return this.insert();
    if (this.word("UPDATE")) return this.update();
    if (this.word("DELETE")) return this.delete();
    this.fail();
  }

  private name(): string {
    const t = this.next();
    if (t.kind === "ident" || t.kind === "qident") return t.text;
    this.fail(t);
  }

  private select(): Statement {
    this.next();
    let paths: Path[] | undefined;
    if (this.punct("*")) this.next();
    else {
      paths = [this.path()];
      while (this.punct(",")) {
        this.next();
        paths.push(this.path());
      }
    }
    this.expectWord("FROM");
    const table = this.name();
    let index: string | undefined;
    if (this.punct(".")) {
      this.next();
      index = this.name();
    }
    this.noAlias("WHERE", "ORDER");
    const where = this.word("WHERE") ? (this.next(), this.condition()) : undefined;
    let order: { attr: string; desc: boolean } | undefined;
    if (this.word("ORDER") && this.word("BY", 1)) {
      this.next();
      this.next();
      const attr = this.name();
      const desc = this.word("DESC");
      if (desc || this.word("ASC")) this.next();
      order = { attr, desc };
    }
    this.end();
    return { type: "select", table, index, paths, where, order };
  }

  private insert(): Statement {
    this.next();
    this.expectWord("INTO");
    const table = this.name();
    this.expectWord("VALUE");
    const v = this.value();
    if (v.M === undefined) throw validation("Unsupported operation: Inserting a value that is not a map is not supported");
    this.end();
    return { type: "insert", table, item: v.M };
  }

  private update(): Statement {
    this.next();
    const table = this.name();
    this.noAlias("SET", "REMOVE");
    const actions: UpdateAction[] = [];
    while (this.word("SET") || this.word("REMOVE")) {
      const set = this.next().text.toUpperCase() === "SET";
      for (;;) {
        const path = this.path();
        if (set) {
          this.expectPunct("=");
          actions.push(this.setAction(path));
        } else {
          actions.push({ type: "REMOVE", path });
        }
        if (!this.punct(",")) break;
        this.next();
      }
    }
    if (!actions.length) this.fail();
    this.expectWord("WHERE");
    const where = this.condition();
    const returning = this.returning();
    this.end();
    return { type: "update", table, actions, where, returning };
  }

  private delete(): Statement {
    this.next();
    this.expectWord("FROM");
    const table = this.name();
    this.noAlias("WHERE");
    this.expectWord("WHERE");
    const where = this.condition();
    const returning = this.returning();
    if (returning !== undefined && returning !== "ALL_OLD") throw validation("Unsupported operation: DELETE only supports RETURNING ALL OLD *");
    this.end();
    return { type: "delete", table, where, returning };
  }

  private returning(): Returning {
    if (!this.word("RETURNING")) return undefined;
    this.next();
    const scope = this.next().text.toUpperCase();
    const when = this.next().text.toUpperCase();
    this.expectPunct("*");
    if ((scope !== "ALL" && scope !== "MODIFIED") || (when !== "OLD" && when !== "NEW")) this.fail();
    return `${scope === "ALL" ? "ALL" : "UPDATED"}_${when}` as Returning;
  }

  /** SET path = value | path (+|-) value | list_append(a, b) | set_add(path, set) | set_delete(path, set). */
  private setAction(path: Path): UpdateAction {
    const fn = this.peek().kind === "ident" && this.punct("(", 1) ? this.peek().text.toLowerCase() : undefined;
    if (fn === "set_add" || fn === "set_delete") {
      this.next();
      this.expectPunct("(");
      const target = this.path();
      this.expectPunct(",");
      const v = this.value();
      this.expectPunct(")");
      if (JSON.stringify(target.elements) !== JSON.stringify(path.elements)) {
        throw validation(`Unsupported operation: ${fn} must name the attribute it assigns`);
      }
      return { type: fn === "set_add" ? "ADD" : "DELETE", path, value: { type: "value", ref: "?", value: v } };
    }
    const a = this.setOperand();
    if (this.punct("+") || this.punct("-")) {
      const op = this.next().text as "+" | "-";
      return { type: "SET", path, value: { type: "arith", op, a, b: this.setOperand() } };
    }
    return { type: "SET", path, value: a };
  }

  private setOperand(): Operand {
    const t = this.peek();
    if (t.kind === "ident" && this.punct("(", 1)) {
      const fn = t.text.toLowerCase();
      if (fn === "list_append") {
        this.next();
        this.expectPunct("(");
        const a = this.setOperand();
        this.expectPunct(",");
        const b = this.setOperand();
        this.expectPunct(")");
        return { type: "list_append", a, b };
      }
      if (fn === "if_not_exists") {
        this.next();
        this.expectPunct("(");
        const p = this.path();
        this.expectPunct(",");
        const fallback = this.setOperand();
        this.expectPunct(")");
        return { type: "if_not_exists", path: p, fallback };
      }
      throw validation(`Unsupported operation: function ${t.text} is not supported in SET`);
    }
    if (this.isPathStart()) return this.path();
    return { type: "value", ref: "?", value: this.value() };
  }

  // ---------------------------------------------------------------- conditions

  condition(): Condition {
    let a = this.and();
    while (this.word("OR")) {
      this.next();
      a = { type: "or", a, b: this.and() };
    }
    return a;
  }
  private and(): Condition {
    let a = this.not();
    while (this.word("AND")) {
      this.next();
      a = { type: "and", a, b: this.not() };
    }
    return a;
  }
  private not(): Condition {
    if (this.word("NOT")) {
      this.next();
      return { type: "not", a: this.not() };
    }
    return this.predicate();
  }
  private predicate(): Condition {
    if (this.punct("(")) {
      this.next();
      const c = this.condition();
      this.expectPunct(")");
      return c;
    }
    const t = this.peek();
    if (t.kind === "ident" && this.punct("(", 1)) {
      const fn = t.text.toLowerCase();
      if (fn === "begins_with" || fn === "contains" || fn === "attribute_type") {
        this.next();
        this.expectPunct("(");
        const p = this.path();
        this.expectPunct(",");
        const v: Operand = { type: "value", ref: "?", value: this.value() };
        this.expectPunct(")");
        return { type: "fn", name: fn, args: [p, v] };
      }
    }
    const a = this.operand();
    const op = this.peek();
    if (op.kind === "punct" && COMPARATORS[op.text]) {
      this.next();
      return { type: "cmp", op: COMPARATORS[op.text], a, b: this.operand() };
    }
    if (this.word("BETWEEN")) {
      this.next();
      const lo = this.operand();
      this.expectWord("AND");
      return { type: "between", a, lo, hi: this.operand() };
    }
    if (this.word("IN")) {
      this.next();
      const close = this.punct("[") ? "]" : ")";
      if (!this.punct("[") && !this.punct("(")) this.fail();
      this.next();
      const list = [this.operand()];
      while (this.punct(",")) {
        this.next();
        list.push(this.operand());
      }
      this.expectPunct(close);
      return { type: "in", a, list };
    }
    if (this.word("IS")) {
      this.next();
      const negate = this.word("NOT") ? (this.next(), true) : false;
      if (a.type !== "path") this.fail();
      let c: Condition;
      if (this.word("MISSING")) {
        this.next();
        c = { type: "fn", name: "attribute_not_exists", args: [a] };
      } else if (this.word("NULL")) {
        this.next();
        c = {
          type: "or",
          a: { type: "fn", name: "attribute_not_exists", args: [a] },
          b: { type: "fn", name: "attribute_type", args: [a, { type: "value", ref: "?", value: { S: "NULL" } }] },
        };
      } else this.fail();
      return negate ? { type: "not", a: c } : c;
    }
    this.fail(op);
  }

  private operand(): Operand {
    const t = this.peek();
    if (t.kind === "ident" && t.text.toLowerCase() === "size" && this.punct("(", 1)) {
      this.next();
      this.next();
      const p = this.path();
      this.expectPunct(")");
      return { type: "size", path: p };
    }
    if (this.isPathStart()) return this.path();
    return { type: "value", ref: "?", value: this.value() };
  }

  private isPathStart(): boolean {
    const t = this.peek();
    if (t.kind === "qident") return true;
    if (t.kind !== "ident") return false;
    const w = t.text.toUpperCase();
    return w !== "TRUE" && w !== "FALSE" && w !== "NULL";
  }

  path(): Path {
    const elements: PathElement[] = [this.name()];
    for (;;) {
      if (this.punct(".")) {
        this.next();
        elements.push(this.name());
      } else if (this.punct("[")) {
        this.next();
        const t = this.next();
        if (t.kind === "number" && /^\d+$/.test(t.text)) elements.push(parseInt(t.text, 10));
        else if (t.kind === "string") elements.push(t.text);
        else this.fail(t);
        this.expectPunct("]");
      } else {
        return { type: "path", elements };
      }
    }
  }

  // ---------------------------------------------------------------- values

  value(at = "root"): AV {
    const t = this.next();
    switch (t.kind) {
      case "string":
        return { S: t.text };
      case "number":
        return literalNumber(t.text, at);
      case "param": {
        const v = this.params[this.param++];
        if (v === undefined) throw validation("Number of parameters in request and statement don't match.");
        return parameter(v);
      }
      case "ident": {
        const w = t.text.toUpperCase();
        if (w === "TRUE" || w === "FALSE") return { BOOL: w === "TRUE" };
        if (w === "NULL") return { NULL: true };
        break;
      }
      case "punct":
        if (t.text === "-" && this.peek().kind === "number") return literalNumber("-" + this.next().text, at);
        if (t.text === "{") return this.map(at);
        if (t.text === "[") return this.list(at);
        if (t.text === "<<") return this.set();
        break;
    }
    this.fail(t);
  }

  private map(at: string): AV {
    const M: Record<string, AV> = {};
    if (this.punct("}")) {
      this.next();
      return { M };
    }
    for (;;) {
      const k = this.next();
      if (k.kind !== "string" && k.kind !== "qident" && k.kind !== "ident") this.fail(k);
      this.expectPunct(":");
      M[k.text] = this.value(`${at}.${k.text}`);
      if (this.punct("}")) {
        this.next();
        return { M };
      }
      this.expectPunct(",");
    }
  }

  private list(at: string): AV {
    const L: AV[] = [];
    if (this.punct("]")) {
      this.next();
      return { L };
    }
    for (;;) {
      L.push(this.value(`${at}[${L.length}]`));
      if (this.punct("]")) {
        this.next();
        return { L };
      }
      this.expectPunct(",");
    }
  }

  private set(): AV {
    const items: AV[] = [];
    for (;;) {
      items.push(this.value());
      if (this.punct(">>")) {
        this.next();
        break;
      }
      this.expectPunct(",");
    }
    const t = typeOf(items[0]);
    if (!items.every((v) => typeOf(v) === t) || (t !== "S" && t !== "N" && t !== "B")) {
      throw validation("Unsupported operation: a set must hold strings, numbers or binaries of one type");
    }
    const set = t === "S" ? { SS: items.map((v) => v.S!) } : t === "N" ? { NS: items.map((v) => v.N!) } : { BS: items.map((v) => v.B!) };
    return normalizeValue(set as AV);
  }
}

/** A number literal: unreadable ones are malformed, out-of-range ones name where they stand. */
function literalNumber(text: string, at: string): AV {
  const exp = /[eE]([-+]?\d+)$/.exec(text);
  if (exp && Math.abs(Number(exp[1])) > 2147483647) throw malformed("");
  try {
    return normalizeValue({ N: text });
  } catch (e) {
    if (e instanceof Error && /Number (over|under)flow|38 significant digits/.test(e.message)) throw validation(`${e.message} under ${at}`);
    throw malformed("");
  }
}

/** A `?` parameter: numbers are read as AWS reads them, with its own wording for unreadable ones. */
function parameter(v: AV): AV {
  const bad = findBadNumber(v);
  if (bad !== undefined) throw validation(bad === "" ? "The parameter cannot be converted to a numeric value" : `The parameter cannot be converted to a numeric value: ${bad}`);
  return normalizeValue(v);
}

function findBadNumber(v: AV): string | undefined {
  const check = (n: string): string | undefined => {
    const m = /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE]([-+]?\d+))?\s*$/.exec(n);
    if (!m || (m[3] !== undefined && Math.abs(Number(m[3])) > 2147483647)) return n;
    return undefined;
  };
  if (v.N !== undefined) return check(v.N);
  if (v.NS) for (const n of v.NS) if (check(n) !== undefined) return n;
  if (v.L) for (const x of v.L) if (findBadNumber(x) !== undefined) return findBadNumber(x);
  if (v.M) for (const x of Object.values(v.M)) if (findBadNumber(x) !== undefined) return findBadNumber(x);
  return undefined;
}

/** Parses one statement, binding `?` to the parameters in order. */
export function parseStatement(src: string, params: AV[] = []): Statement {
  if (src.trim() === "") throw malformed("Empty statement");
  const p = new Parser(src, params);
  const st = p.statement();
  if (p.usedParams !== params.length) throw validation("Number of parameters in request and statement don't match.");
  return st;
}

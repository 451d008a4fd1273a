// The S3 Select SQL dialect: a lexer and a recursive-descent parser producing the AST that
// sql-eval.ts compiles. Grammar (S3 User Guide, "SQL reference for Amazon S3 Select"):
//   SELECT select_list FROM S3Object[path] [[AS] alias] [WHERE expr] [LIMIT n]
// with the operator precedence of its docs: unary -, * / %, + -, ||, comparison (= != <> < <=
// > >=, LIKE, BETWEEN, IN, IS), NOT, AND, OR.
import { AwsError } from "../../../core/errors.js";

export type Expr =
  | { k: "lit"; v: unknown }
  | { k: "path"; steps: Array<{ name: string; quoted: boolean } | { index: number } | { star: true }>; rootAlias: boolean }
  | { k: "pos"; index: number } // _N on CSV input
  | { k: "star" }
  | { k: "un"; op: "-" | "NOT"; e: Expr }
  | { k: "bin"; op: string; l: Expr; r: Expr }
  | { k: "like"; e: Expr; pattern: Expr; escape?: Expr; not: boolean }
  | { k: "between"; e: Expr; lo: Expr; hi: Expr; not: boolean }
  | { k: "in"; e: Expr; list: Expr[]; not: boolean }
  | { k: "is"; e: Expr; what: "NULL" | "MISSING" | "TRUE" | "FALSE"; not: boolean }
  | { k: "cast"; e: Expr; type: string }
  | { k: "call"; name: string; args: Expr[] }
  | { k: "agg"; name: "COUNT" | "SUM" | "AVG" | "MIN" | "MAX"; arg: Expr | "*" }
  | { k: "case"; operand?: Expr; whens: Array<[Expr, Expr]>; else?: Expr };

export interface SelectItem {
  e: Expr;
  alias?: string;
}

export interface Query {
  items: SelectItem[] | "*";
  alias?: string;
  /** Path after S3Object (JSON: S3Object[*].a.b). */
  fromPath: Array<{ name: string; quoted: boolean } | { index: number } | { star: true }>;
  where?: Expr;
  limit?: number;
}

interface Token {
  t: "id" | "qid" | "num" | "str" | "op" | "kw" | "eof";
  v: string;
  pos: number;
}

const KEYWORDS = new Set([
  "SELECT", "FROM", "WHERE", "LIMIT", "AS", "AND", "OR", "NOT", "LIKE", "ESCAPE", "BETWEEN", "IN", "IS", "NULL", "MISSING", "TRUE", "FALSE",
  "CAST", "CASE", "WHEN", "THEN", "ELSE", "END", "DISTINCT",
]);

export function parseError(code: string, message: string, pos?: number, token?: string): AwsError {
  const fields: Record<string, string> = {};
  if (pos !== undefined) {
    fields.LineNumber = "1";
    fields.ColumnNumber = String(pos + 1);
  }
  if (token !== undefined) fields.TokenType = token;
  return new AwsError(code, message, 400, { fields });
}

function lex(sql: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < sql.length) {
    const c = sql[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const start = i;
    if (/[A-Za-z_]/.test(c)) {
      while (i < sql.length && /[A-Za-z0-9_]/.test(sql[i])) i++;
      const word = sql.slice(start, i);
      out.push({ t: KEYWORDS.has(word.toUpperCase()) ? "kw" : "id", v: KEYWORDS.has(word.toUpperCase()) ? word.toUpperCase() : word, pos: start });
    } else if (/[0-9]/.test(c) || (c === "." && /[0-9]/.test(sql[i + 1] ?? ""))) {
      while (i < sql.length && /[0-9]/.test(sql[i])) i++;
      if (sql[i] === "." && /[0-9]/.test(sql[i + 1] ?? "")) {
        i++;
        while (i < sql.length && /[0-9]/.test(sql[i])) i++;
      }
      if (/[eE]/.test(sql[i] ?? "") && /[-+0-9]/.test(sql[i + 1] ?? "")) {
        i += 2;
        while (i < sql.length && /[0-9]/.test(sql[i])) i++;
      }
      out.push({ t: "num", v: sql.slice(start, i), pos: start });
    } else if (c === "'" || c === '"') {
      // '' (or "") inside doubles the quote.
      let v = "";
      i++;
      for (;;) {
        if (i >= sql.length) throw parseError("LexerInvalidChar", "The SQL expression contains an invalid character.", start);
        if (sql[i] === c) {
          if (sql[i + 1] === c) {
            v += c;
            i += 2;
            continue;
          }
          i++;
          break;
        }
        v += sql[i++];
      }
      out.push({ t: c === "'" ? "str" : "qid", v, pos: start });
    } else {
      const two = sql.slice(i, i + 2);
      if (["<=", ">=", "<>", "!=", "||"].includes(two)) {
        out.push({ t: "op", v: two, pos: start });
        i += 2;
      } else if ("=<>+-*/%(),.[]".includes(c)) {
        out.push({ t: "op", v: c, pos: start });
        i++;
      } else {
        throw parseError("LexerInvalidChar", "The SQL expression contains an invalid character.", start);
      }
    }
  }
  out.push({ t: "eof", v: "", pos: sql.length });
  return out;
}

const AGGREGATES = new Set(["COUNT", "SUM", "AVG", "MIN", "MAX"]);
const CAST_TYPES = new Set(["INT", "INTEGER", "BIGINT", "FLOAT", "DOUBLE", "DECIMAL", "NUMERIC", "REAL", "STRING", "VARCHAR", "CHAR", "BOOL", "BOOLEAN", "TIMESTAMP", "SMALLINT"]);

class Parser {
  private i = 0;
  constructor(private readonly toks: Token[]) {}

  private peek(o = 0): Token {
    return this.toks[Math.min(this.i + o, this.toks.length - 1)];
  }
  private next(): Token {
    return this.toks[this.i++];
  }
  private isKw(v: string): boolean {
    const t = this.peek();
    return t.t === "kw" && t.v === v;
  }
  private isOp(v: string): boolean {
    const t = this.peek();
    return t.t === "op" && t.v === v;
  }
  private unexpected(): AwsError {
    const t = this.peek();
    if (t.t === "eof") return parseError("ParseUnexpectedTerm", "The SQL expression contains an unexpected term.", t.pos);
    return parseError("ParseUnexpectedToken", "The SQL expression contains an unexpected token.", t.pos, t.t === "kw" ? "KEYWORD" : t.t === "op" ? "OPERATOR" : "IDENTIFIER");
  }
  private expectKw(v: string): void {
    if (!this.isKw(v)) {
      const t = this.peek();
      throw parseError("ParseExpectedKeyword", `The SQL expression did not contain the expected keyword ${v}.`, t.pos);
    }
    this.i++;
  }
  private expectOp(v: string): void {
    if (!this.isOp(v)) {
      if (v === ")") throw parseError("ParseExpectedRightParenBuiltinFunctionCall", "The SQL expression did not contain the expected right parenthesis character.", this.peek().pos);
      throw this.unexpected();
    }
    this.i++;
  }

  query(): Query {
    if (!this.isKw("SELECT")) throw parseError("ParseUnsupportedSyntax", "The SQL expression contains unsupported syntax.", this.peek().pos);
    this.i++;
    if (this.isKw("DISTINCT")) throw parseError("ParseUnsupportedSyntax", "The SQL expression contains unsupported syntax.", this.peek().pos);
    let items: SelectItem[] | "*";
    if (this.isOp("*")) {
      this.i++;
      items = "*";
      if (this.isOp(",")) throw parseError("ParseAsteriskIsNotAloneInSelectList", "Other expressions are not allowed in the SELECT list when '*' is used without dot notation in the SQL expression.", this.peek().pos);
    } else {
      items = [];
      for (;;) {
        if (this.isOp("*")) throw parseError("ParseAsteriskIsNotAloneInSelectList", "Other expressions are not allowed in the SELECT list when '*' is used without dot notation in the SQL expression.", this.peek().pos);
        const e = this.expr();
        let alias: string | undefined;
        if (this.isKw("AS")) {
          this.i++;
          alias = this.ident();
        } else if (this.peek().t === "id" || this.peek().t === "qid") alias = this.ident();
        items.push({ e, alias });
        if (!this.isOp(",")) break;
        this.i++;
      }
    }
    this.expectKw("FROM");
    const src = this.next();
    if ((src.t !== "id" && src.t !== "qid") || src.v.toLowerCase() !== "s3object") {
      throw parseError("ParseInvalidPathComponent", "The SQL expression contains an invalid path component.", src.pos);
    }
    const fromPath: Query["fromPath"] = [];
    for (;;) {
      if (this.isOp("[")) {
        this.i++;
        if (this.isOp("*")) {
          this.i++;
          fromPath.push({ star: true });
        } else {
          const n = this.next();
          if (n.t !== "num") throw this.unexpected();
          fromPath.push({ index: Number(n.v) });
        }
        this.expectOp("]");
      } else if (this.isOp(".")) {
        this.i++;
        const t = this.next();
        if (t.t !== "id" && t.t !== "qid" && t.t !== "kw") throw this.unexpected();
        fromPath.push({ name: t.v, quoted: t.t === "qid" });
      } else break;
    }
    let alias: string | undefined;
    if (this.isKw("AS")) {
      this.i++;
      alias = this.ident();
    } else if (this.peek().t === "id") alias = this.ident();
    let where: Expr | undefined;
    if (this.isKw("WHERE")) {
      this.i++;
      where = this.expr();
    }
    let limit: number | undefined;
    if (this.isKw("LIMIT")) {
      this.i++;
      const n = this.next();
      if (n.t !== "num" || !/^\d+$/.test(n.v)) throw parseError("ParseExpectedNumber", "The SQL expression did not contain the expected number.", n.pos);
      limit = Number(n.v);
    }
    if (this.peek().t !== "eof") throw this.unexpected();
    return { items, alias, fromPath, where, limit };
  }

  private ident(): string {
    const t = this.next();
    if (t.t !== "id" && t.t !== "qid") throw parseError("ParseExpectedIdentForAlias", "The expected identifier for the alias is not in the SQL expression.", t.pos);
    return t.v;
  }

  expr(): Expr {
    return this.or();
  }
  private or(): Expr {
    let l = this.and();
    while (this.isKw("OR")) {
      this.i++;
      l = { k: "bin", op: "OR", l, r: this.and() };
    }
    return l;
  }
  private and(): Expr {
    let l = this.not();
    while (this.isKw("AND")) {
      this.i++;
      l = { k: "bin", op: "AND", l, r: this.not() };
    }
    return l;
  }
  private not(): Expr {
    if (this.isKw("NOT")) {
      this.i++;
      return { k: "un", op: "NOT", e: this.not() };
    }
    return this.comparison();
  }
  private comparison(): Expr {
    const l = this.concat();
    const t = this.peek();
    if (t.t === "op" && ["=", "!=", "<>", "<", "<=", ">", ">="].includes(t.v)) {
      this.i++;
      return { k: "bin", op: t.v === "<>" ? "!=" : t.v, l, r: this.concat() };
    }
    let not = false;
    if (this.isKw("NOT") && ["LIKE", "BETWEEN", "IN"].includes(this.peek(1).v)) {
      this.i++;
      not = true;
    }
    if (this.isKw("LIKE")) {
      this.i++;
      const pattern = this.concat();
      let escape: Expr | undefined;
      if (this.isKw("ESCAPE")) {
        this.i++;
        escape = this.concat();
      }
      return { k: "like", e: l, pattern, escape, not };
    }
    if (this.isKw("BETWEEN")) {
      this.i++;
      const lo = this.concat();
      this.expectKw("AND");
      return { k: "between", e: l, lo, hi: this.concat(), not };
    }
    if (this.isKw("IN")) {
      this.i++;
      this.expectOp("(");
      const list: Expr[] = [this.expr()];
      while (this.isOp(",")) {
        this.i++;
        list.push(this.expr());
      }
      this.expectOp(")");
      return { k: "in", e: l, list, not };
    }
    if (this.isKw("IS")) {
      this.i++;
      let isNot = false;
      if (this.isKw("NOT")) {
        this.i++;
        isNot = true;
      }
      const w = this.next();
      if (w.t !== "kw" || !["NULL", "MISSING", "TRUE", "FALSE"].includes(w.v)) throw parseError("ParseExpectedKeyword", "The SQL expression did not contain the expected keyword NULL.", w.pos);
      return { k: "is", e: l, what: w.v as "NULL", not: isNot };
    }
    return l;
  }
  private concat(): Expr {
    let l = this.additive();
    while (this.isOp("||")) {
      this.i++;
      l = { k: "bin", op: "||", l, r: this.additive() };
    }
    return l;
  }
  private additive(): Expr {
    let l = this.multiplicative();
    while (this.isOp("+") || this.isOp("-")) {
      const op = this.next().v;
      l = { k: "bin", op, l, r: this.multiplicative() };
    }
    return l;
  }
  private multiplicative(): Expr {
    let l = this.unary();
    while (this.isOp("*") || this.isOp("/") || this.isOp("%")) {
      const op = this.next().v;
      l = { k: "bin", op, l, r: this.unary() };
    }
    return l;
  }
  private unary(): Expr {
    if (this.isOp("-")) {
      this.i++;
      return { k: "un", op: "-", e: this.unary() };
    }
    if (this.isOp("+")) {
      this.i++;
      return this.unary();
    }
    return this.primary();
  }
  private primary(): Expr {
    const t = this.peek();
    if (t.t === "num") {
      this.i++;
      return { k: "lit", v: Number(t.v) };
    }
    if (t.t === "str") {
      this.i++;
      return { k: "lit", v: t.v };
    }
    if (t.t === "kw") {
      if (t.v === "NULL") return this.i++, { k: "lit", v: null };
      if (t.v === "MISSING") return this.i++, { k: "lit", v: undefined };
      if (t.v === "TRUE") return this.i++, { k: "lit", v: true };
      if (t.v === "FALSE") return this.i++, { k: "lit", v: false };
      if (t.v === "CAST") return this.cast();
      if (t.v === "CASE") return this.caseExpr();
      throw this.unexpected();
    }
    if (t.t === "op" && t.v === "(") {
      this.i++;
      const e = this.expr();
      this.expectOp(")");
      return e;
    }
    if (t.t === "id" || t.t === "qid") {
      // Function call?
      if (t.t === "id" && this.peek(1).t === "op" && this.peek(1).v === "(") return this.call();
      return this.path();
    }
    if (t.t === "eof") throw parseError("ParseExpectedExpression", "Did not find the expected SQL expression.", t.pos);
    throw this.unexpected();
  }
  private path(): Expr {
    const first = this.next();
    const steps: Array<{ name: string; quoted: boolean } | { index: number } | { star: true }> = [{ name: first.v, quoted: first.t === "qid" }];
    for (;;) {
      if (this.isOp(".")) {
        this.i++;
        if (this.isOp("*")) {
          this.i++;
          steps.push({ star: true });
          continue;
        }
        const n = this.next();
        if (n.t !== "id" && n.t !== "qid" && n.t !== "kw") throw parseError("ParseInvalidPathComponent", "The SQL expression contains an invalid path component.", n.pos);
        steps.push({ name: n.v, quoted: n.t === "qid" });
      } else if (this.isOp("[")) {
        this.i++;
        const n = this.next();
        if (n.t === "num") steps.push({ index: Number(n.v) });
        else if (n.t === "str") steps.push({ name: n.v, quoted: true });
        else if (n.t === "op" && n.v === "*") steps.push({ star: true });
        else throw parseError("ParseInvalidPathComponent", "The SQL expression contains an invalid path component.", n.pos);
        this.expectOp("]");
      } else break;
    }
    return { k: "path", steps, rootAlias: false };
  }
  private cast(): Expr {
    this.i++;
    this.expectOp("(");
    const e = this.expr();
    this.expectKw("AS");
    const t = this.next();
    const type = t.v.toUpperCase();
    if ((t.t !== "id" && t.t !== "kw") || !CAST_TYPES.has(type)) throw parseError("ParseInvalidTypeParam", "The SQL expression contains an invalid parameter value.", t.pos);
    this.expectOp(")");
    return { k: "cast", e, type };
  }
  private caseExpr(): Expr {
    this.i++;
    let operand: Expr | undefined;
    if (!this.isKw("WHEN")) operand = this.expr();
    const whens: Array<[Expr, Expr]> = [];
    while (this.isKw("WHEN")) {
      this.i++;
      const w = this.expr();
      this.expectKw("THEN");
      whens.push([w, this.expr()]);
    }
    if (whens.length === 0) throw parseError("ParseExpectedWhenClause", "Did not find the expected WHEN clause in the SQL expression. CASE is not supported.", this.peek().pos);
    let els: Expr | undefined;
    if (this.isKw("ELSE")) {
      this.i++;
      els = this.expr();
    }
    this.expectKw("END");
    return { k: "case", operand, whens, else: els };
  }
  private call(): Expr {
    const nameTok = this.next();
    const name = nameTok.v.toUpperCase();
    this.expectOp("(");
    if (AGGREGATES.has(name)) {
      let arg: Expr | "*";
      if (this.isOp("*")) {
        if (name !== "COUNT") throw this.unexpected();
        this.i++;
        arg = "*";
      } else arg = this.expr();
      this.expectOp(")");
      return { k: "agg", name: name as "COUNT", arg };
    }
    const args: Expr[] = [];
    // Keyword-shaped arguments: TRIM([LEADING|TRAILING|BOTH] [chars] FROM s), SUBSTRING(s FROM n [FOR m]), EXTRACT(part FROM ts).
    if (name === "TRIM") {
      let where = "BOTH";
      const w = this.peek();
      if (w.t === "id" && ["LEADING", "TRAILING", "BOTH"].includes(w.v.toUpperCase())) {
        this.i++;
        where = w.v.toUpperCase();
      }
      let chars: Expr | undefined;
      let target: Expr;
      if (this.isKw("FROM")) {
        this.i++;
        target = this.expr();
      } else {
        const first = this.expr();
        if (this.isKw("FROM")) {
          this.i++;
          chars = first;
          target = this.expr();
        } else target = first;
      }
      this.expectOp(")");
      return { k: "call", name, args: [{ k: "lit", v: where }, chars ?? { k: "lit", v: " " }, target] };
    }
    if (name === "EXTRACT") {
      const part = this.next();
      this.expectKw("FROM");
      const ts = this.expr();
      this.expectOp(")");
      return { k: "call", name, args: [{ k: "lit", v: part.v.toUpperCase() }, ts] };
    }
    if (name === "DATE_ADD" || name === "DATE_DIFF") {
      const part = this.next();
      args.push({ k: "lit", v: part.v.toUpperCase() });
      this.expectOp(",");
    }
    if (!this.isOp(")")) {
      args.push(this.expr());
      if (name === "SUBSTRING" && this.isKw("FROM")) {
        this.i++;
        args.push(this.expr());
        if (this.peek().t === "id" && this.peek().v.toUpperCase() === "FOR") {
          this.i++;
          args.push(this.expr());
        }
      }
      while (this.isOp(",")) {
        this.i++;
        args.push(this.expr());
      }
    }
    this.expectOp(")");
    return { k: "call", name, args };
  }
}

export const MAX_EXPRESSION_BYTES = 256 * 1024;

export function parseQuery(sql: string): Query {
  if (Buffer.byteLength(sql) > MAX_EXPRESSION_BYTES) throw new AwsError("ExpressionTooLong", "The SQL expression is too long: The maximum byte-length for the SQL expression is 256 KB.", 400);
  return new Parser(lex(sql)).query();
}

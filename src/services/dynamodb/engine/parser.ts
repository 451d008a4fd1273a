// Recursive-descent parsers for DynamoDB's expression grammars:
//   condition  := or
//   or         := and ("OR" and)*                 -- lowest precedence
//   and        := not ("AND" not)*
//   not        := "NOT" not | primary             -- NOT binds tighter than AND, AND than OR
//   primary    := "(" condition ")" | function "(" args ")"
//               | operand comparator operand | operand "BETWEEN" operand "AND" operand
//               | operand "IN" "(" operand ("," operand)* ")"
//   operand    := path | :value | "size" "(" path ")"
//   path       := (name | #alias) ("." (name | #alias) | "[" digits "]")*
//   projection := path ("," path)*
//   update     := ("SET" set ("," set)* | "REMOVE" path ("," path)* | "ADD" path :v ("," ...)*
//                 | "DELETE" path :v ("," ...)*)+     -- each section at most once
//   set        := path "=" setvalue;  setvalue := setop (("+" | "-") setop)?
//   setop      := path | :value | if_not_exists "(" path "," setop ")" | list_append "(" setop "," setop ")"
// A bare name that is a reserved word is refused, as AWS does (engine/reserved-words.ts).
// #aliases and :values are resolved while parsing against ExpressionAttributeNames/Values,
// which records which of them were used (AWS rejects unused and undefined ones).
import { RESERVED_WORDS } from "./reserved-words.js";
import { tokenize, syntaxError, type Token } from "./tokenizer.js";
import { validation, type AV } from "./values.js";

export type PathElement = string | number;
export interface Path {
  type: "path";
  elements: PathElement[];
}
export type Operand =
  | Path
  | { type: "value"; ref: string; value: AV }
  | { type: "size"; path: Path }
  | { type: "if_not_exists"; path: Path; fallback: Operand }
  | { type: "list_append"; a: Operand; b: Operand }
  | { type: "arith"; op: "+" | "-"; a: Operand; b: Operand };

export type Comparator = "=" | "<>" | "<" | "<=" | ">" | ">=";
export type Condition =
  | { type: "cmp"; op: Comparator; a: Operand; b: Operand }
  | { type: "between"; a: Operand; lo: Operand; hi: Operand }
  | { type: "in"; a: Operand; list: Operand[] }
  | { type: "and" | "or"; a: Condition; b: Condition }
  | { type: "not"; a: Condition }
  | { type: "fn"; name: ConditionFunction; args: Operand[] };

export type ConditionFunction = "attribute_exists" | "attribute_not_exists" | "attribute_type" | "begins_with" | "contains";

export type UpdateAction =
  | { type: "SET"; path: Path; value: Operand }
  | { type: "REMOVE"; path: Path }
  | { type: "ADD" | "DELETE"; path: Path; value: Operand };

/** ExpressionAttributeNames/Values of a request, and which of them the expressions used. */
export class Refs {
  readonly usedNames = new Set<string>();
  readonly usedValues = new Set<string>();
  constructor(
    readonly names: Record<string, string> | undefined,
    readonly values: Record<string, AV> | undefined,
  ) {}

  name(alias: string, kind: string): string {
    const n = this.names?.[alias];
    if (n === undefined) {
      throw validation(`Invalid ${kind}: An expression attribute name used in the document path is not defined; attribute name: ${alias}`);
    }
    this.usedNames.add(alias);
    return n;
  }

  value(ref: string, kind: string): AV {
    const v = this.values?.[ref];
    if (v === undefined) {
      throw validation(`Invalid ${kind}: An expression attribute value used in expression is not defined; attribute value: ${ref}`);
    }
    this.usedValues.add(ref);
    return v;
  }

  /** AWS's checks once every expression of a request is parsed. */
  checkUnused(): void {
    if (this.names === undefined && this.values === undefined) return;
    const unusedNames = Object.keys(this.names ?? {}).filter((k) => !this.usedNames.has(k));
    if (unusedNames.length) throw validation(`Value provided in ExpressionAttributeNames unused in expressions: keys: {${unusedNames.join(", ")}}`);
    const unusedValues = Object.keys(this.values ?? {}).filter((k) => !this.usedValues.has(k));
    if (unusedValues.length) throw validation(`Value provided in ExpressionAttributeValues unused in expressions: keys: {${unusedValues.join(", ")}}`);
  }
}

const CONDITION_FUNCTIONS: Record<string, number> = {
  attribute_exists: 1,
  attribute_not_exists: 1,
  attribute_type: 2,
  begins_with: 2,
  contains: 2,
};
/** AWS caps every expression at 4 KB. */
const MAX_EXPRESSION_BYTES = 4096;
const COMPARATORS = new Set(["=", "<>", "<", "<=", ">", ">="]);

class Parser {
  private i = 0;
  private readonly toks: Token[];
  constructor(
    private readonly src: string,
    private readonly kind: string,
    private readonly refs: Refs,
  ) {
    if (src.trim() === "") throw validation(`Invalid ${kind}: The expression can not be empty;`);
    const size = Buffer.byteLength(src, "utf8");
    if (size > MAX_EXPRESSION_BYTES) throw validation(`Invalid ${kind}: Expression size has exceeded the maximum allowed size; expression size: ${size}`);
    this.toks = tokenize(src, kind);
  }

  peek(o = 0): Token {
    return this.toks[Math.min(this.i + o, this.toks.length - 1)];
  }
  next(): Token {
    return this.toks[this.i++];
  }
  fail(t: Token = this.peek()): never {
    throw syntaxError(this.kind, this.src, t.text, t.pos);
  }
  isKeyword(word: string, o = 0): boolean {
    const t = this.peek(o);
    return t.kind === "name" && t.text.toUpperCase() === word;
  }
  expect(text: string): Token {
    const t = this.next();
    if (t.text !== text) this.fail(t);
    return t;
  }
  end(): void {
    if (this.peek().kind !== "eof") this.fail();
  }

  // -------------------------------------------------- paths and operands

  path(): Path {
    const elements: PathElement[] = [];
    elements.push(this.pathName());
    for (;;) {
      const t = this.peek();
      if (t.text === "." && t.kind === "punct") {
        this.next();
        elements.push(this.pathName());
      } else if (t.text === "[") {
        this.next();
        const n = this.next();
        if (n.kind !== "number") this.fail(n);
        this.expect("]");
        elements.push(parseInt(n.text, 10));
      } else {
        return { type: "path", elements };
      }
    }
  }

  private pathName(): string {
    const t = this.next();
    if (t.kind === "alias") return this.refs.name(t.text, this.kind);
    if (t.kind === "name") {
      if (RESERVED_WORDS.has(t.text.toUpperCase())) {
        throw validation(`Invalid ${this.kind}: Attribute name is a reserved keyword; reserved keyword: ${t.text}`);
      }
      return t.text;
    }
    this.fail(t);
  }

  valueRef(): Operand {
    const t = this.next();
    if (t.kind !== "value") this.fail(t);
    return { type: "value", ref: t.text, value: this.refs.value(t.text, this.kind) };
  }

  operand(): Operand {
    const t = this.peek();
    if (t.kind === "value") return this.valueRef();
    if (t.kind === "name" && this.peek(1).text === "(") {
      if (t.text !== "size") this.functionError(t);
      this.next();
      this.expect("(");
      const p = this.path();
      this.expect(")");
      return { type: "size", path: p };
    }
    if (t.kind === "name" || t.kind === "alias") return this.path();
    this.fail(t);
  }

  private functionError(t: Token): never {
    if (t.text in CONDITION_FUNCTIONS || t.text === "size" || t.text === "if_not_exists" || t.text === "list_append") {
      throw validation(`Invalid ${this.kind}: The function is not allowed to be used this way in an expression; function: ${t.text}`);
    }
    throw validation(`Invalid ${this.kind}: Invalid function name; function: ${t.text}`);
  }

  // -------------------------------------------------- conditions

  condition(): Condition {
    let a = this.and();
    while (this.isKeyword("OR")) {
      this.next();
      a = { type: "or", a, b: this.and() };
    }
    return a;
  }
  and(): Condition {
    let a = this.not();
    while (this.isKeyword("AND")) {
      this.next();
      a = { type: "and", a, b: this.not() };
    }
    return a;
  }
  not(): Condition {
    if (this.isKeyword("NOT")) {
      this.next();
      return { type: "not", a: this.not() };
    }
    return this.primary();
  }
  primary(): Condition {
    const t = this.peek();
    if (t.text === "(" && t.kind === "punct") {
      this.next();
      const c = this.condition();
      this.expect(")");
      return c;
    }
    if (t.kind === "name" && this.peek(1).text === "(" && t.text !== "size") {
      const arity = CONDITION_FUNCTIONS[t.text];
      if (arity === undefined) this.functionError(t);
      this.next();
      this.expect("(");
      const args: Operand[] = [this.operand()];
      while (this.peek().text === ",") {
        this.next();
        args.push(this.operand());
      }
      this.expect(")");
      if (args.length !== arity) {
        throw validation(`Invalid ${this.kind}: Incorrect number of operands for operator or function; operator or function: ${t.text}, number of operands: ${args.length}`);
      }
      if (args[0].type !== "path") {
        throw validation(`Invalid ${this.kind}: Operator or function requires a document path; operator or function: ${t.text}`);
      }
      return { type: "fn", name: t.text as ConditionFunction, args };
    }
    const a = this.operand();
    const op = this.peek();
    if (op.kind === "op" && COMPARATORS.has(op.text)) {
      this.next();
      return { type: "cmp", op: op.text as Comparator, a, b: this.operand() };
    }
    if (this.isKeyword("BETWEEN")) {
      this.next();
      const lo = this.operand();
      if (!this.isKeyword("AND")) this.fail();
      this.next();
      return { type: "between", a, lo, hi: this.operand() };
    }
    if (this.isKeyword("IN")) {
      this.next();
      this.expect("(");
      const list = [this.operand()];
      while (this.peek().text === ",") {
        this.next();
        list.push(this.operand());
      }
      this.expect(")");
      if (list.length > 100) {
        throw validation(`Invalid ${this.kind}: The IN operator is provided with too many operands; number of operands: ${list.length}`);
      }
      return { type: "in", a, list };
    }
    this.fail(op);
  }

  // -------------------------------------------------- update

  update(): UpdateAction[] {
    const actions: UpdateAction[] = [];
    const seen = new Set<string>();
    while (this.peek().kind !== "eof") {
      const t = this.next();
      const section = t.kind === "name" ? t.text.toUpperCase() : "";
      if (section !== "SET" && section !== "REMOVE" && section !== "ADD" && section !== "DELETE") this.fail(t);
      if (seen.has(section)) throw validation(`Invalid ${this.kind}: The "${section}" section can only be used once in an update expression;`);
      seen.add(section);
      for (;;) {
        const path = this.path();
        if (section === "SET") {
          this.expect("=");
          actions.push({ type: "SET", path, value: this.setValue() });
        } else if (section === "REMOVE") {
          actions.push({ type: "REMOVE", path });
        } else {
          actions.push({ type: section, path, value: this.valueRef() });
        }
        if (this.peek().text !== ",") break;
        this.next();
      }
    }
    checkOverlap(actions, this.kind);
    return actions;
  }

  private setValue(): Operand {
    const a = this.setOperand();
    const t = this.peek();
    if (t.kind === "punct" && (t.text === "+" || t.text === "-")) {
      this.next();
      return { type: "arith", op: t.text, a, b: this.setOperand() };
    }
    return a;
  }

  private setOperand(): Operand {
    const t = this.peek();
    if (t.kind === "name" && this.peek(1).text === "(") {
      if (t.text === "if_not_exists") {
        this.next();
        this.expect("(");
        const path = this.path();
        this.expect(",");
        const fallback = this.setOperand();
        this.expect(")");
        return { type: "if_not_exists", path, fallback };
      }
      if (t.text === "list_append") {
        this.next();
        this.expect("(");
        const a = this.setOperand();
        this.expect(",");
        const b = this.setOperand();
        this.expect(")");
        return { type: "list_append", a, b };
      }
      this.functionError(t);
    }
    if (t.kind === "value") return this.valueRef();
    if (t.kind === "name" || t.kind === "alias") return this.path();
    this.fail(t);
  }
}

export function pathString(p: Path): string {
  return p.elements.map((e, i) => (typeof e === "number" ? `[${e}]` : i === 0 ? e : `.${e}`)).join("");
}

function checkOverlap(actions: UpdateAction[], kind: string): void {
  for (let i = 0; i < actions.length; i++) {
    for (let j = 0; j < i; j++) {
      const a = actions[j].path.elements;
      const b = actions[i].path.elements;
      const n = Math.min(a.length, b.length);
      if (a.slice(0, n).every((e, k) => e === b[k])) {
        const show = (p: PathElement[]) => `[${p.map((e) => (typeof e === "number" ? `[${e}]` : e)).join(", ")}]`;
        throw validation(`Invalid ${kind}: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: ${show(a)}, path two: ${show(b)}`);
      }
    }
  }
}

export function parseCondition(src: string, kind: string, refs: Refs): Condition {
  const p = new Parser(src, kind, refs);
  const c = p.condition();
  p.end();
  return c;
}

export function parseProjection(src: string, refs: Refs, kind = "ProjectionExpression"): Path[] {
  const p = new Parser(src, kind, refs);
  const paths = [p.path()];
  while (p.peek().text === ",") {
    p.next();
    paths.push(p.path());
  }
  p.end();
  return paths;
}

export function parseUpdate(src: string, refs: Refs, kind = "UpdateExpression"): UpdateAction[] {
  const p = new Parser(src, kind, refs);
  const actions = p.update();
  p.end();
  return actions;
}

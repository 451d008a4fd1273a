// A small strict XML parser for request bodies (restXml payloads). One pass, no recursion,
// well-formedness checked (tag nesting, attribute syntax, entity references), the five
// predefined entities and character references decoded, CDATA kept verbatim, comments and
// processing instructions skipped. Document type declarations are refused: AWS does not
// accept them and refusing them rules out entity-expansion attacks. Namespace prefixes are
// kept in names as written (`xsi:type`), which is how the model's xmlName traits spell them.
//
// Why not fast-xml-parser: it accepts mismatched tags unless a second validation pass runs,
// and the shape-directed reader needs element order and repeated names kept, which its
// preserveOrder output gives only in a form that costs more to walk than this tree.

export interface XmlElement {
  name: string;
  attributes: Record<string, string> | undefined;
  children: XmlElement[];
  /** Character data directly inside this element (text and CDATA, concatenated). */
  text: string;
}

export class XmlSyntaxError extends Error {
  constructor(message: string, readonly offset: number) {
    super(`${message} at offset ${offset}`);
    this.name = "XmlSyntaxError";
  }
}

const PREDEFINED: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };

function decodeEntities(s: string, base: number): string {
  if (s.indexOf("&") === -1) return s;
  let out = "";
  let i = 0;
  for (;;) {
    const amp = s.indexOf("&", i);
    if (amp === -1) return out + s.slice(i);
    out += s.slice(i, amp);
    const semi = s.indexOf(";", amp + 1);
    if (semi === -1 || semi - amp > 12) throw new XmlSyntaxError("unterminated entity reference", base + amp);
    const ref = s.slice(amp + 1, semi);
    if (ref.charCodeAt(0) === 35 /* # */) {
      const hex = ref.charCodeAt(1) === 120 /* x */;
      const digits = hex ? ref.slice(2) : ref.slice(1);
      const code = digits && (hex ? /^[0-9a-fA-F]+$/ : /^[0-9]+$/).test(digits) ? parseInt(digits, hex ? 16 : 10) : NaN;
      if (!(code >= 0 && code <= 0x10ffff)) throw new XmlSyntaxError(`invalid character reference &${ref};`, base + amp);
      out += String.fromCodePoint(code);
    } else {
      const ch = PREDEFINED[ref];
      if (ch === undefined) throw new XmlSyntaxError(`undefined entity &${ref};`, base + amp);
      out += ch;
    }
    i = semi + 1;
  }
}

function isNameEnd(c: number): boolean {
  // whitespace, '/', '>', '='
  return c === 32 || c === 9 || c === 10 || c === 13 || c === 47 || c === 62 || c === 61;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}

/** Parses a whole document and returns its root element. Throws XmlSyntaxError. */
export function parseXml(input: string): XmlElement {
  // End-of-line normalization (XML 1.0 section 2.11); character references survive it.
  const src = input.indexOf("\r") === -1 ? input : input.replace(/\r\n?/g, "\n");
  const n = src.length;
  let i = src.charCodeAt(0) === 0xfeff ? 1 : 0;
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;

  const fail = (msg: string, at = i): never => {
    throw new XmlSyntaxError(msg, at);
  };

  while (i < n) {
    const lt = src.indexOf("<", i);
    const textEnd = lt === -1 ? n : lt;
    if (textEnd > i) {
      const raw = src.slice(i, textEnd);
      const top = stack[stack.length - 1];
      if (top) top.text += decodeEntities(raw, i);
      else if (/\S/.test(raw)) fail("text outside the root element");
    }
    if (lt === -1) break;
    i = lt;
    const c1 = src.charCodeAt(i + 1);
    if (c1 === 33 /* ! */) {
      if (src.startsWith("<!--", i)) {
        const end = src.indexOf("-->", i + 4);
        if (end === -1) fail("unterminated comment");
        i = end + 3;
      } else if (src.startsWith("<![CDATA[", i)) {
        const top = stack[stack.length - 1];
        if (!top) fail("CDATA outside the root element");
        const end = src.indexOf("]]>", i + 9);
        if (end === -1) fail("unterminated CDATA section");
        top.text += src.slice(i + 9, end);
        i = end + 3;
      } else {
        fail("document type declarations are not allowed");
      }
      continue;
    }
    if (c1 === 63 /* ? */) {
      const end = src.indexOf("?>", i + 2);
      if (end === -1) fail("unterminated processing instruction");
      i = end + 2;
      continue;
    }
    if (c1 === 47 /* / */) {
      let j = i + 2;
      while (j < n && !isNameEnd(src.charCodeAt(j))) j++;
      const name = src.slice(i + 2, j);
      while (j < n && isSpace(src.charCodeAt(j))) j++;
      if (src.charCodeAt(j) !== 62) fail("malformed end tag", j);
      const top = stack.pop();
      if (!top) fail(`unexpected end tag </${name}>`);
      if (top!.name !== name) fail(`end tag </${name}> does not match <${top!.name}>`);
      i = j + 1;
      continue;
    }
    // Start tag.
    let j = i + 1;
    while (j < n && !isNameEnd(src.charCodeAt(j))) j++;
    const name = src.slice(i + 1, j);
    if (!name || /[<&"'!?]/.test(name)) fail("malformed start tag");
    if (root && stack.length === 0) fail("more than one root element");
    const el: XmlElement = { name, attributes: undefined, children: [], text: "" };
    let selfClosing = false;
    for (;;) {
      const sp = j;
      while (j < n && isSpace(src.charCodeAt(j))) j++;
      const c = src.charCodeAt(j);
      if (c === 62 /* > */) {
        j++;
        break;
      }
      if (c === 47 /* / */) {
        if (src.charCodeAt(j + 1) !== 62) fail("malformed empty-element tag", j);
        selfClosing = true;
        j += 2;
        break;
      }
      if (j >= n) fail("unterminated start tag", j);
      if (j === sp) fail("attributes must be separated by whitespace", j);
      const an = j;
      while (j < n && !isNameEnd(src.charCodeAt(j))) j++;
      const attrName = src.slice(an, j);
      if (!attrName) fail("malformed attribute", j);
      while (j < n && isSpace(src.charCodeAt(j))) j++;
      if (src.charCodeAt(j) !== 61 /* = */) fail(`attribute ${attrName} has no value`, j);
      j++;
      while (j < n && isSpace(src.charCodeAt(j))) j++;
      const q = src.charCodeAt(j);
      if (q !== 34 && q !== 39) fail(`attribute ${attrName} value is not quoted`, j);
      const close = src.indexOf(q === 34 ? '"' : "'", j + 1);
      if (close === -1) fail("unterminated attribute value", j);
      const rawValue = src.slice(j + 1, close);
      if (rawValue.indexOf("<") !== -1) fail("'<' in attribute value", j);
      el.attributes ??= {};
      if (attrName in el.attributes) fail(`duplicate attribute ${attrName}`, an);
      el.attributes[attrName] = decodeEntities(rawValue.replace(/[\t\n]/g, " "), j + 1);
      j = close + 1;
    }
    const parent = stack[stack.length - 1];
    if (parent) parent.children.push(el);
    else root = el;
    if (!selfClosing) stack.push(el);
    i = j;
  }
  if (stack.length) fail(`unclosed element <${stack[stack.length - 1].name}>`, n);
  if (!root) fail("no root element", n);
  return root!;
}

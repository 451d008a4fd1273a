// A streaming multipart/form-data reader for browser POST uploads: the fields before the
// `file` part are read into memory (bounded), the file streams through without being
// buffered, and whatever follows the file is ignored (as S3 ignores fields after it).
import { PassThrough, type Readable } from "node:stream";
import { AwsError } from "../../../core/errors.js";

/** Upper bound on the bytes of all fields before the file (S3 refuses larger preambles). */
const MAX_PRE_DATA = 1024 * 1024;

export interface FormFile {
  /** The part's filename parameter (for ${filename} in the key). */
  filename: string;
  contentType?: string;
  stream: Readable;
}

export interface Form {
  /** Field values by lower-cased name, in order. */
  fields: Map<string, string>;
  file?: FormFile;
}

export function boundaryOf(contentType: string): string | undefined {
  const m = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
  return m ? (m[1] ?? m[2]).trim() : undefined;
}

function malformed(): AwsError {
  return new AwsError("MalformedPOSTRequest", "The body of your POST request is not well-formed multipart/form-data.", 400);
}

function param(disposition: string, name: string): string | undefined {
  const m = new RegExp(`(?:^|;)\\s*${name}="((?:[^"\\\\]|\\\\.)*)"`, "i").exec(disposition) ?? new RegExp(`(?:^|;)\\s*${name}=([^;]*)`, "i").exec(disposition);
  return m ? m[1].replace(/\\(.)/g, "$1") : undefined;
}

export async function readForm(body: Readable, boundary: string): Promise<Form> {
  const iter = body[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const delim = Buffer.from(`\r\n--${boundary}`);
  // A CRLF in front lets the first boundary match the same delimiter as the others.
  let buf: Buffer = Buffer.from("\r\n");
  let ended = false;
  let consumed = 0;
  const more = async (): Promise<boolean> => {
    if (ended) return false;
    const r = await iter.next();
    if (r.done) {
      ended = true;
      return false;
    }
    buf = buf.length ? Buffer.concat([buf, r.value]) : r.value;
    return true;
  };
  const need = async (n: number): Promise<void> => {
    while (buf.length < n) if (!(await more())) throw malformed();
  };
  const take = (n: number): Buffer => {
    const out = buf.subarray(0, n);
    buf = buf.subarray(n);
    consumed += n;
    if (consumed > MAX_PRE_DATA) throw new AwsError("MaxPostPreDataLengthExceededError", "Your POST request fields preceeding the upload file was too large.", 400);
    return out;
  };
  const indexOf = async (needle: Buffer): Promise<number> => {
    let from = 0;
    for (;;) {
      const i = buf.indexOf(needle, from);
      if (i >= 0) return i;
      from = Math.max(0, buf.length - needle.length + 1);
      if (buf.length > MAX_PRE_DATA + delim.length) throw new AwsError("MaxPostPreDataLengthExceededError", "Your POST request fields preceeding the upload file was too large.", 400);
      if (!(await more())) throw malformed();
    }
  };

  const fields = new Map<string, string>();
  // Preamble up to the first delimiter.
  take(await indexOf(delim));
  for (;;) {
    take(delim.length);
    await need(2);
    const after = take(2).toString("latin1");
    if (after === "--") return { fields };
    if (after !== "\r\n") throw malformed();
    const headerEnd = await indexOf(Buffer.from("\r\n\r\n"));
    const headerText = take(headerEnd).toString("utf8");
    take(4);
    let disposition = "";
    let contentType: string | undefined;
    for (const line of headerText.split("\r\n")) {
      const c = line.indexOf(":");
      if (c < 0) continue;
      const k = line.slice(0, c).trim().toLowerCase();
      if (k === "content-disposition") disposition = line.slice(c + 1).trim();
      else if (k === "content-type") contentType = line.slice(c + 1).trim();
    }
    const name = param(disposition, "name");
    if (name === undefined) throw malformed();
    if (name.toLowerCase() === "file") {
      const stream = new PassThrough();
      void pumpFile(stream, () => buf, (b) => (buf = b), more, delim);
      return { fields, file: { filename: param(disposition, "filename") ?? "", ...(contentType ? { contentType } : {}), stream } };
    }
    const end = await indexOf(delim);
    fields.set(name.toLowerCase(), take(end).toString("utf8"));
  }
}

/** Streams the file part into `out` until the next delimiter, keeping a delimiter's worth of bytes back. */
async function pumpFile(out: PassThrough, get: () => Buffer, set: (b: Buffer) => unknown, more: () => Promise<boolean>, delim: Buffer): Promise<void> {
  try {
    for (;;) {
      const buf = get();
      const i = buf.indexOf(delim);
      if (i >= 0) {
        out.end(buf.subarray(0, i));
        set(Buffer.alloc(0));
        return;
      }
      const safe = buf.length - delim.length + 1;
      if (safe > 0) {
        set(buf.subarray(safe));
        if (!out.write(buf.subarray(0, safe))) {
          await new Promise<void>((r) => {
            out.once("drain", r);
            out.once("close", r);
          });
          if (out.destroyed) return;
        }
      }
      if (!(await more())) throw malformed();
    }
  } catch (e) {
    out.destroy(e as Error);
  }
}

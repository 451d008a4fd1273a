// Plain curl for the access tests (anonymous and presigned requests), run asynchronously: the
// Nimbus under test shares this process, so a blocking child would deadlock it. And err, the
// error an SDK call fails with.
import { execFile } from "node:child_process";

export function curl(url: string, extra: string[] = []): Promise<{ status: number; body: string; headers: Record<string, string> }> {
  return new Promise((resolve, reject) => {
    execFile("curl", ["-s", "-D", "-", "-w", "\n%{http_code}", ...extra, url], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 }, (err, out) => {
      if (err) return reject(err);
      const i = out.lastIndexOf("\n");
      const status = Number(out.slice(i + 1));
      let rest = out.slice(0, i);
      // Header blocks (more than one after a 100 Continue), then the body.
      const headers: Record<string, string> = {};
      while (/^HTTP\/\d/.test(rest)) {
        const end = rest.indexOf("\r\n\r\n");
        const block = end < 0 ? rest : rest.slice(0, end);
        for (const line of block.split("\r\n").slice(1)) {
          const c = line.indexOf(":");
          if (c > 0) headers[line.slice(0, c).toLowerCase()] = line.slice(c + 1).trim();
        }
        rest = end < 0 ? "" : rest.slice(end + 4);
      }
      resolve({ status, body: rest, headers });
    });
  });
}

/** The error an SDK call fails with: name, message and HTTP status (fails the test if it succeeds). */
export async function err(p: Promise<unknown>): Promise<{ name: string; message: string; status?: number }> {
  try {
    await p;
  } catch (e) {
    const x = e as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { name: x.name, message: x.message, status: x.$metadata?.httpStatusCode };
  }
  throw new Error("expected an error");
}

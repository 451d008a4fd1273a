// `<bucket>.localhost` resolves to loopback in browsers and systemd-resolved (RFC 6761), not
// with every libc; this agent resolves any *.localhost name to 127.0.0.1 the way those do,
// so tests exercise S3 virtual-host addressing with the real Host header.
import { lookup } from "node:dns";
import { Agent } from "node:http";
import { NodeHttpHandler } from "@smithy/node-http-handler";

export const localhostAgent = new Agent({
  keepAlive: true,
  lookup: (hostname, options, cb) => {
    if (hostname === "localhost" || hostname.endsWith(".localhost")) {
      if ((options as { all?: boolean }).all) (cb as unknown as (e: null, a: Array<{ address: string; family: number }>) => void)(null, [{ address: "127.0.0.1", family: 4 }]);
      else cb(null, "127.0.0.1", 4);
    } else lookup(hostname, options, cb);
  },
});

/** An SDK request handler that reaches `<bucket>.localhost` on any machine. */
export function localhostRequestHandler(): NodeHttpHandler {
  return new NodeHttpHandler({ httpAgent: localhostAgent });
}

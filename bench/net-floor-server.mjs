// The floor under any Node server: a node:net server that answers every request with canned
// bytes (the same body and headers as bench/baseline-server.mjs), parsing no more of the head
// than its end and Content-Length. No timeouts, no header validation, no request object: what
// a request costs a Node process below which no HTTP server written in JavaScript can go (the
// socket's read and write, the event loop, the kernel's TCP). bench/dynamodb.mjs NET_FLOOR=1
// runs it beside the bare node:http server to show how much of "bare" is node:http itself.
//
// It reads as Nimbus's HTTP front does (src/core/server/http-front.ts, adopt): the accepted
// socket's handle is taken over by a net.Socket made with `onread`, so reads land in one reused
// buffer and call one function, without a Buffer, the Readable machinery and a 'data' event
// per read (11-20% of this server's CPU per request when it read the usual way).
import { createServer, Socket } from "node:net";

const body = Buffer.from(process.env.CANNED_BODY ?? "", "base64");
const headers = JSON.parse(process.env.CANNED_HEADERS ?? "{}");
let fixed = "";
for (const [k, v] of Object.entries(headers)) fixed += `${k}: ${v}\r\n`;
fixed += `Content-Length: ${body.length}\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\n`;
const readBuffer = Buffer.allocUnsafe(64 * 1024);

const server = createServer({ noDelay: true, pauseOnConnect: true }, (accepted) => {
  let pending = "";
  const socket = new Socket({
    handle: accepted._handle,
    onread: {
      buffer: readBuffer,
      callback: (n, buf) => {
        pending += buf.latin1Slice(0, n);
        for (;;) {
          const end = pending.indexOf("\r\n\r\n");
          if (end < 0) return;
          const m = /\r\ncontent-length: *(\d+)/i.exec(pending.slice(0, end));
          const total = end + 4 + (m ? Number(m[1]) : 0);
          if (pending.length < total) return;
          pending = pending.slice(total);
          const head = Buffer.from(`HTTP/1.1 200 OK\r\n${fixed}Date: ${new Date().toUTCString()}\r\n\r\n`, "latin1");
          socket.write(Buffer.concat([head, body]));
        }
      },
    },
  });
  accepted._handle = null;
  socket.on("error", () => {});
});

server.listen(0, "127.0.0.1", () => console.log(`floor ready on http://127.0.0.1:${server.address().port}`));

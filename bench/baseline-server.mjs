// The baseline: a bare node:http server answering every request with a canned body (the
// same bytes and headers Nimbus sent for the operation), so the difference is Nimbus's cost.
// Large answers (an S3 listing page) come from a file named by CANNED_BODY_FILE: an environment
// variable holds at most 128 KiB.
import { createServer } from "node:http";
import { readFileSync } from "node:fs";

const body = process.env.CANNED_BODY_FILE ? readFileSync(process.env.CANNED_BODY_FILE) : Buffer.from(process.env.CANNED_BODY ?? "", "base64");
const headers = JSON.parse(process.env.CANNED_HEADERS ?? "{}");
const server = createServer({ keepAlive: true }, (req, res) => {
  req.on("data", () => {});
  req.on("end", () => {
    res.writeHead(200, { ...headers, "content-length": body.length });
    res.end(body);
  });
});
server.listen(0, "127.0.0.1", () => console.log(`baseline ready on http://127.0.0.1:${server.address().port}`));

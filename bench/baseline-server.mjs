// The baseline: a bare node:http server answering every request with a canned body (the
// same bytes and headers Nimbus sent for the operation), so the difference is Nimbus's cost.
import { createServer } from "node:http";

const body = Buffer.from(process.env.CANNED_BODY ?? "", "base64");
const headers = JSON.parse(process.env.CANNED_HEADERS ?? "{}");
const server = createServer({ keepAlive: true }, (req, res) => {
  req.on("data", () => {});
  req.on("end", () => {
    res.writeHead(200, { ...headers, "content-length": body.length });
    res.end(body);
  });
});
server.listen(0, "127.0.0.1", () => console.log(`baseline ready on http://127.0.0.1:${server.address().port}`));

// The explicit registry of running services. A service not listed here still routes (its
// model is known) and answers NotImplemented for every operation.
//
// Each service is a dynamic import: Nimbus loads it on its first request, at start when the
// data directory holds state of it, or on the cues its entry names (core/service.ts,
// ServiceEntry), so start-up does not grow with the number of services.
import type { ServiceEntry } from "../core/service.js";

// The cheap claim tests below run on every request while their service is not loaded: ASCII
// case-insensitive regex tests (what toLowerCase() then a substring test answer for these
// ASCII words) allocate no lower-cased copy.
const LAMBDA_URL_HOST = /\.lambda-url\./i;
const MULTIPART_FORM = /^multipart\/form-data/i;
/**
 * The last answer of a test, given again for the same text: a client repeats its Host and
 * Content-Type on every request, and comparing them is cheaper than the regex call (~1% of a
 * GetItem in perf, both tests together).
 */
function lastAnswer(re: RegExp): (text: string) => boolean {
  let last: string | undefined;
  let answer = false;
  return (text) => {
    if (text !== last) {
      answer = re.test(text);
      last = text;
    }
    return answer;
  };
}
const lambdaUrlHost = lastAnswer(LAMBDA_URL_HOST);
const multipartForm = lastAnswer(MULTIPART_FORM);

export const SERVICES: Record<string, ServiceEntry> = {
  cloudwatch: { load: async () => (await import("./cloudwatch/service.js")).cloudwatch, wakeOn: ["metric"] },
  "cloudwatch-logs": { load: async () => (await import("./cloudwatch-logs/service.js")).cloudwatchLogs },
  dynamodb: { load: async () => (await import("./dynamodb/service.js")).dynamodb },
  "dynamodb-streams": { load: async () => (await import("./dynamodb-streams/service.js")).dynamodbStreams, needs: ["dynamodb"] },
  ec2: { load: async () => (await import("./ec2/service.js")).ec2, health: true, chaos: true },
  eventbridge: { load: async () => (await import("./events/service.js")).eventbridge, chaos: true },
  iam: { load: async () => (await import("./iam/service.js")).iam },
  kms: { load: async () => (await import("./kms/service.js")).kms },
  // The same test as lambda/url-http.ts's claims: function URLs by host name or under /_lambda-url/.
  lambda: { load: async () => (await import("./lambda/service.js")).lambda, mayClaimHttp: (_method, rawPath, headers) => lambdaUrlHost(headers.host ?? "") || rawPath.startsWith("/_lambda-url/") },
  s3: {
    load: async () => (await import("./s3/service.js")).s3,
    // A superset of s3/access/raw-http.ts's claims: CORS preflight, browser POST uploads, website endpoints.
    mayClaimHttp: (method, rawPath, headers) =>
      method === "OPTIONS" ||
      (method === "POST" && multipartForm(headers["content-type"] ?? "")) ||
      ((method === "GET" || method === "HEAD") && (rawPath.startsWith("/_website/") || (headers.host ?? "").includes(".s3-website"))),
  },
  "s3-control": { load: async () => (await import("./s3-control/service.js")).s3Control },
  // A superset of sns/raw-http.ts's claims: the subscription URLs and the outbox under /_sns/.
  sns: { load: async () => (await import("./sns/service.js")).sns, mayClaimHttp: (method, rawPath) => (method === "GET" || method === "HEAD") && rawPath.startsWith("/_sns/") },
  sqs: { load: async () => (await import("./sqs/service.js")).sqs },
  sts: { load: async () => (await import("./sts/service.js")).sts },
};

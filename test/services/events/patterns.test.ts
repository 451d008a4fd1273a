// EventBridge event patterns, table-driven through TestEventPattern (the real SDK against a real
// Nimbus): every match kind EventBridge documents, and InvalidEventPatternException reasons.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EventBridgeClient, TestEventPatternCommand } from "@aws-sdk/client-eventbridge";
import { freshAccount, sdkConfig, startNimbus, type TestNimbus } from "../../support/nimbus.js";

let n: TestNimbus;
let eb: EventBridgeClient;
beforeAll(async () => {
  n = await startNimbus();
  eb = new EventBridgeClient(sdkConfig(n.endpoint, { accountId: freshAccount() }));
});
afterAll(async () => {
  await n?.stop();
});

const EVENT = {
  version: "0",
  id: "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
  "detail-type": "EC2 Instance State-change Notification",
  source: "aws.ec2",
  account: "111122223333",
  time: "2017-12-22T18:43:48Z",
  region: "us-west-1",
  resources: ["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"],
  detail: {
    "instance-id": "i-1234567890abcdef0",
    state: "terminated",
    "c-count": 5,
    "d-count": 3,
    "x-limit": 301.8,
    "source-ip": "10.0.0.123",
    "ipv6": "2001:db8::1",
    location: { city: "Seattle", zone: "us-west-1a" },
    tags: ["prod", "web"],
    items: [{ name: "a", qty: 1 }, { name: "b", qty: 20 }],
    nothing: null,
    enabled: true,
    eventName: "PutObject",
    filename: "photos/2024/cat.PNG",
  },
};

async function test(pattern: unknown): Promise<boolean> {
  const out = await eb.send(new TestEventPatternCommand({ EventPattern: JSON.stringify(pattern), Event: JSON.stringify(EVENT) }));
  return out.Result!;
}

const cases: Array<[string, unknown, boolean]> = [
  ["exact source", { source: ["aws.ec2"] }, true],
  ["exact source, other value", { source: ["aws.s3"] }, false],
  ["array is OR", { source: ["aws.s3", "aws.ec2"] }, true],
  ["fields are AND", { source: ["aws.ec2"], "detail-type": ["nope"] }, false],
  ["nested object", { detail: { state: ["terminated"] } }, true],
  ["deeper nested", { detail: { location: { city: ["Seattle"] } } }, true],
  ["missing field", { detail: { colour: ["red"] } }, false],
  ["number exact", { detail: { "c-count": [5] } }, true],
  ["number compares numerically", { detail: { "x-limit": [3.018e2] } }, true],
  ["number is not a string", { detail: { "c-count": ["5"] } }, false],
  ["null matches null", { detail: { nothing: [null] } }, true],
  ["boolean", { detail: { enabled: [true] } }, true],
  ["boolean false", { detail: { enabled: [false] } }, false],
  ["value inside an event array", { detail: { tags: ["web"] } }, true],
  ["value not in event array", { detail: { tags: ["dev"] } }, false],
  ["resources array", { resources: ["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"] }, true],
  ["field inside array of objects", { detail: { items: { name: ["b"] } } }, true],
  ["numeric inside array of objects", { detail: { items: { qty: [{ numeric: [">", 10] }] } } }, true],
  ["prefix", { detail: { state: [{ prefix: "term" }] } }, true],
  ["prefix no match", { detail: { state: [{ prefix: "run" }] } }, false],
  ["prefix equals-ignore-case", { detail: { state: [{ prefix: { "equals-ignore-case": "TERM" } }] } }, true],
  ["suffix", { detail: { filename: [{ suffix: ".PNG" }] } }, true],
  ["suffix is case sensitive", { detail: { filename: [{ suffix: ".png" }] } }, false],
  ["suffix equals-ignore-case", { detail: { filename: [{ suffix: { "equals-ignore-case": ".png" } }] } }, true],
  ["anything-but value", { detail: { state: [{ "anything-but": "running" }] } }, true],
  ["anything-but value (equal)", { detail: { state: [{ "anything-but": "terminated" }] } }, false],
  ["anything-but list", { detail: { state: [{ "anything-but": ["stopped", "terminated"] }] } }, false],
  ["anything-but numbers", { detail: { "c-count": [{ "anything-but": [1, 2, 3] }] } }, true],
  ["anything-but prefix", { detail: { state: [{ "anything-but": { prefix: "term" } }] } }, false],
  ["anything-but suffix", { detail: { filename: [{ "anything-but": { suffix: ".jpg" } }] } }, true],
  ["anything-but equals-ignore-case", { detail: { state: [{ "anything-but": { "equals-ignore-case": ["TERMINATED"] } }] } }, false],
  ["anything-but wildcard", { detail: { filename: [{ "anything-but": { wildcard: "photos/*" } }] } }, false],
  ["anything-but on a missing field", { detail: { colour: [{ "anything-but": "red" }] } }, false],
  ["numeric range", { detail: { "c-count": [{ numeric: [">", 0, "<=", 5] }] } }, true],
  ["numeric range excludes", { detail: { "c-count": [{ numeric: [">", 5] }] } }, false],
  ["numeric equals", { detail: { "d-count": [{ numeric: ["=", 3] }] } }, true],
  ["numeric on a string", { detail: { state: [{ numeric: [">", 0] }] } }, false],
  ["exists true", { detail: { state: [{ exists: true }] } }, true],
  ["exists true, missing", { detail: { colour: [{ exists: true }] } }, false],
  ["exists false, missing", { detail: { colour: [{ exists: false }] } }, true],
  ["exists false, present", { detail: { state: [{ exists: false }] } }, false],
  ["equals-ignore-case", { detail: { state: [{ "equals-ignore-case": "TeRmInAtEd" }] } }, true],
  ["wildcard", { detail: { filename: [{ wildcard: "photos/*/cat.*" }] } }, true],
  ["wildcard no match", { detail: { filename: [{ wildcard: "videos/*" }] } }, false],
  ["cidr v4", { detail: { "source-ip": [{ cidr: "10.0.0.0/24" }] } }, true],
  ["cidr v4 outside", { detail: { "source-ip": [{ cidr: "10.0.1.0/24" }] } }, false],
  ["cidr v6", { detail: { ipv6: [{ cidr: "2001:db8::/32" }] } }, true],
  ["$or first branch", { detail: { $or: [{ "c-count": [{ numeric: [">", 0, "<=", 5] }] }, { "d-count": [{ numeric: ["<", 1] }] }] } }, true],
  ["$or second branch", { detail: { $or: [{ "c-count": [99] }, { "x-limit": [{ numeric: ["=", 301.8] }] }] } }, true],
  ["$or no branch", { detail: { $or: [{ "c-count": [99] }, { "d-count": [99] }] } }, false],
  ["$or at top level with other fields", { source: ["aws.ec2"], $or: [{ "detail-type": ["x"] }, { detail: { state: ["terminated"] } }] }, true],
  ["mixed kinds in one array", { detail: { state: ["running", { prefix: "ter" }] } }, true],
];

describe("TestEventPattern: matching", () => {
  it.each(cases)("%s", async (_name, pattern, expected) => {
    expect(await test(pattern)).toBe(expected);
  });
});

const invalid: Array<[string, unknown, string]> = [
  ["not an object", ["source"], "Filter is not an object"],
  ["a scalar field", { source: "aws.ec2" }, '"source" must be an object or an array'],
  ["empty object", { detail: {} }, "Empty objects are not allowed"],
  ["empty array", { source: [] }, "Empty arrays are not allowed"],
  ["unknown match type", { source: [{ regex: "a.*" }] }, "Unrecognized match type regex"],
  ["prefix not a string", { source: [{ prefix: 5 }] }, "prefix match pattern must be a string"],
  ["two keys in a match expression", { source: [{ prefix: "a", suffix: "b" }] }, "Only one key allowed in match expression"],
  ["numeric not an array", { detail: { n: [{ numeric: 5 }] } }, "Value of numeric must be an array."],
  ["numeric bad operator", { detail: { n: [{ numeric: ["!=", 5] }] } }, "Unrecognized numeric range operator: !="],
  ["numeric non-number", { detail: { n: [{ numeric: [">", "5"] }] } }, "Value of > must be numeric"],
  ["exists not boolean", { detail: { n: [{ exists: "yes" }] } }, "exists match pattern must be either true or false."],
  ["anything-but mixed", { detail: { n: [{ "anything-but": ["a", 1] }] } }, "Inside anything but list, either all values are number or string, mixed type is not supported"],
  ["anything-but unsupported", { detail: { n: [{ "anything-but": { numeric: [">", 1] } }] } }, "Unsupported anything-but pattern: numeric"],
  ["$or with one branch", { $or: [{ source: ["a"] }] }, "There must have at least 2 Objects in $or relationship."],
  ["wildcard with **", { source: [{ wildcard: "a**b" }] }, "Consecutive wildcard characters at pos 2"],
  ["bad cidr", { detail: { ip: [{ cidr: "10.0.0.0/99" }] } }, "Nonsensical CIDR: 10.0.0.0/99"],
  ["null inside an array of match values is fine, objects nested are not", { source: [[1]] }, "Match value must be String, number, true, false, or null"],
];

describe("TestEventPattern: invalid patterns", () => {
  it.each(invalid)("%s", async (_name, pattern, reason) => {
    const e = await eb.send(new TestEventPatternCommand({ EventPattern: JSON.stringify(pattern), Event: JSON.stringify(EVENT) })).then(
      () => undefined,
      (err: Error & { $metadata?: { httpStatusCode?: number } }) => err,
    );
    expect(e?.name).toBe("InvalidEventPatternException");
    expect(e?.message).toBe(`Event pattern is not valid. Reason: ${reason}`);
    expect(e?.$metadata?.httpStatusCode).toBe(400);
  });

  it("refuses an event missing a required envelope field", async () => {
    const { id: _id, ...rest } = EVENT;
    const e = await eb.send(new TestEventPatternCommand({ EventPattern: '{"source":["aws.ec2"]}', Event: JSON.stringify(rest) })).catch((err: Error) => err);
    expect((e as Error).name).toBe("ValidationException");
  });
});

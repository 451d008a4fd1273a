// DynamoDB through boto3 (Debian's python3-boto3): load the first 100 passengers of the shared
// Titanic data set with put_item, read some back by key, count them with a Scan Select=COUNT.
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshAccount, startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { PYTHON, ok, useClients } from "../../clients/support.js";

const REPO = resolve(fileURLToPath(new URL("../../..", import.meta.url)));
const TITANIC = resolve(REPO, "../shared/data/titanic.csv");

let n: TestNimbus;
beforeAll(async () => {
  n = await startNimbus();
});
afterAll(() => n.stop());

const clients = useClients(() => n.endpoint);

const SCRIPT = `
import csv, json, sys, boto3
from botocore.exceptions import ClientError
endpoint, path = sys.argv[1], sys.argv[2]
ddb = boto3.client("dynamodb", endpoint_url=endpoint)
ddb.create_table(
    TableName="titanic",
    KeySchema=[{"AttributeName": "PassengerId", "KeyType": "HASH"}],
    AttributeDefinitions=[{"AttributeName": "PassengerId", "AttributeType": "N"}],
    BillingMode="PAY_PER_REQUEST",
)
with open(path, newline="") as f:
    rows = [r for _, r in zip(range(100), csv.DictReader(f))]
for r in rows:
    item = {"PassengerId": {"N": r["PassengerId"]}, "Name": {"S": r["Name"]}, "Survived": {"N": r["Survived"]}, "Pclass": {"N": r["Pclass"]}, "Sex": {"S": r["Sex"]}}
    if r["Age"]:
        item["Age"] = {"N": r["Age"]}
    if r["Fare"]:
        item["Fare"] = {"N": r["Fare"]}
    ddb.put_item(TableName="titanic", Item=item, ConditionExpression="attribute_not_exists(PassengerId)")
got = {k: ddb.get_item(TableName="titanic", Key={"PassengerId": {"N": k}})["Item"] for k in ["1", "2", "100"]}
count, scanned, kwargs = 0, 0, {}
while True:
    page = ddb.scan(TableName="titanic", Select="COUNT", Limit=30, **kwargs)
    count += page["Count"]
    scanned += 1
    if "LastEvaluatedKey" not in page:
        break
    kwargs = {"ExclusiveStartKey": page["LastEvaluatedKey"]}
survivors = ddb.scan(TableName="titanic", Select="COUNT", FilterExpression="Survived = :one", ExpressionAttributeValues={":one": {"N": "1"}})["Count"]
try:
    ddb.put_item(TableName="titanic", Item={"PassengerId": {"N": "1"}}, ConditionExpression="attribute_not_exists(PassengerId)")
    error = None
except ClientError as e:
    error = e.response["Error"]
print(json.dumps({"rows": len(rows), "got": got, "count": count, "pages": scanned, "survivors": survivors,
                  "expected_survivors": sum(1 for r in rows if r["Survived"] == "1"), "error": error,
                  "items": ddb.describe_table(TableName="titanic")["Table"]["ItemCount"]}))
`;

describe.skipIf(!PYTHON || !existsSync(TITANIC))("boto3", () => {
  it("loads 100 Titanic passengers, reads them by key and counts them", async () => {
    const out = ok(await clients.python(freshAccount(), SCRIPT, n.endpoint, TITANIC));
    expect(out.rows).toBe(100);
    expect(out.got["1"]).toEqual({
      PassengerId: { N: "1" },
      Name: { S: "Braund, Mr. Owen Harris" },
      Survived: { N: "0" },
      Pclass: { N: "3" },
      Sex: { S: "male" },
      Age: { N: "22" },
      Fare: { N: "7.25" },
    });
    expect(out.got["2"].Name).toEqual({ S: "Cumings, Mrs. John Bradley (Florence Briggs Thayer)" });
    expect(out.got["2"].Fare).toEqual({ N: "71.2833" });
    expect(out.got["100"].PassengerId).toEqual({ N: "100" });
    expect(out.count).toBe(100);
    expect(out.pages).toBe(4);
    expect(out.survivors).toBe(out.expected_survivors);
    expect(out.survivors).toBeGreaterThan(0);
    expect(out.error).toEqual({ Code: "ConditionalCheckFailedException", Message: "The conditional request failed" });
    expect(out.items).toBe(100);
  }, 60_000);
});

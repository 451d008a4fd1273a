// DynamoDB through boto3's resource API (Debian's python3-boto3): Table.put_item/get_item/
// update_item/delete_item with Python values (Decimal, sets, bytes), batch_writer (which
// buffers 25 puts per BatchWriteItem and de-duplicates keys), query and scan with
// boto3.dynamodb.conditions, pagination by LastEvaluatedKey, a conditional failure, and the
// resource client's execute_statement.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshAccount, startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { PYTHON, ok, useClients } from "../../clients/support.js";

let n: TestNimbus;
beforeAll(async () => {
  n = await startNimbus();
});
afterAll(() => n.stop());

const clients = useClients(() => n.endpoint);

const SCRIPT = `
import json, sys, boto3
from decimal import Decimal
from boto3.dynamodb.conditions import Key, Attr
from botocore.exceptions import ClientError
endpoint = sys.argv[1]
ddb = boto3.resource("dynamodb", endpoint_url=endpoint)
table = ddb.create_table(
    TableName="people",
    KeySchema=[{"AttributeName": "team", "KeyType": "HASH"}, {"AttributeName": "num", "KeyType": "RANGE"}],
    AttributeDefinitions=[{"AttributeName": "team", "AttributeType": "S"}, {"AttributeName": "num", "AttributeType": "N"}],
    BillingMode="PAY_PER_REQUEST",
)
table.wait_until_exists()
out = {}
with table.batch_writer(overwrite_by_pkeys=["team", "num"]) as batch:
    for i in range(60):
        batch.put_item(Item={"team": "red" if i % 2 else "blue", "num": i, "score": Decimal("%d.5" % i), "tags": {"a", "b"}})
    batch.put_item(Item={"team": "red", "num": 1, "score": Decimal("100"), "tags": {"x"}})
    batch.delete_item(Key={"team": "blue", "num": 0})
out["count"] = table.scan(Select="COUNT")["Count"]
item = table.get_item(Key={"team": "red", "num": 1}, ConsistentRead=True)["Item"]
out["item"] = {"score": str(item["score"]), "tags": sorted(item["tags"]), "num": str(item["num"])}
q = table.query(KeyConditionExpression=Key("team").eq("red") & Key("num").between(10, 20), FilterExpression=Attr("score").gt(14), ScanIndexForward=False)
out["query"] = [int(i["num"]) for i in q["Items"]]
pages, seen, kwargs = 0, 0, {}
while True:
    page = table.query(KeyConditionExpression=Key("team").eq("blue"), Limit=7, **kwargs)
    pages += 1
    seen += len(page["Items"])
    if "LastEvaluatedKey" not in page:
        break
    kwargs = {"ExclusiveStartKey": page["LastEvaluatedKey"]}
out["pages"], out["seen"] = pages, seen
r = table.update_item(Key={"team": "red", "num": 3}, UpdateExpression="SET score = score + :d, note = :n", ExpressionAttributeValues={":d": Decimal("0.25"), ":n": b"\\x00\\x01"}, ReturnValues="ALL_NEW")
out["updated"] = {"score": str(r["Attributes"]["score"]), "note": list(bytes(r["Attributes"]["note"]))}
try:
    table.put_item(Item={"team": "red", "num": 3}, ConditionExpression=Attr("num").not_exists())
    out["cond"] = "no error"
except ClientError as e:
    out["cond"] = e.response["Error"]["Code"]
s = table.scan(FilterExpression=Attr("tags").contains("x") | Attr("num").eq(59), ProjectionExpression="num")
out["scan"] = sorted(int(i["num"]) for i in s["Items"])
d = table.delete_item(Key={"team": "red", "num": 59}, ReturnValues="ALL_OLD")
out["deleted"] = str(d["Attributes"]["score"])
# The resource's client marshals Python values in and out, PartiQL parameters included.
res = ddb.meta.client.execute_statement(Statement='SELECT num FROM "people" WHERE team = ? AND num < ?', Parameters=["red", 6])
out["partiql"] = [str(i["num"]) for i in res["Items"]]
print(json.dumps(out))
`;

describe.skipIf(!PYTHON)("boto3 resource API", () => {
  it("Table methods, batch_writer, conditions and pagination", async () => {
    const out = ok(await clients.python(freshAccount(), SCRIPT, n.endpoint));
    expect(out.count).toBe(59);
    expect(out.item).toEqual({ score: "100", tags: ["x"], num: "1" });
    expect(out.query).toEqual([19, 17, 15]);
    expect([out.pages, out.seen]).toEqual([5, 29]);
    expect(out.updated).toEqual({ score: "3.75", note: [0, 1] });
    expect(out.cond).toBe("ConditionalCheckFailedException");
    expect(out.scan).toEqual([1, 59]);
    expect(out.deleted).toBe("59.5");
    expect(out.partiql).toEqual(["1", "3", "5"]);
  }, 120_000);
});

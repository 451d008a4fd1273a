// The scenario through boto3 (Debian's python3-boto3): load all of ../shared/data/
// titanic.csv into DynamoDB as the seed did (one PutItem per record, PassengerId as partition
// key), then again with BatchWriteItem (the client in batches of 25 and the resource API's
// batch_writer), and query both back through a GSI on Pclass with the client and the `resource`
// Table API. Skipped when python3 with boto3 or the data set is absent.
import { existsSync, readFileSync } from "node:fs";
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

/** RFC 4180 fields of one CSV line (quoted fields may hold commas and doubled quotes). */
function fields(line: string): string[] {
  const out: string[] = [];
  let cur = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") {
      out.push(cur);
      cur = "";
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

/** What the test expects, computed here from the CSV independently of the Python side. */
function expected() {
  const lines = readFileSync(TITANIC, "utf8").split(/\r?\n/).filter((l) => l.length);
  const head = fields(lines[0]);
  const rows = lines.slice(1).map((l) => Object.fromEntries(fields(l).map((v, i) => [head[i], v])));
  const byClass: Record<string, string[]> = {};
  for (const r of rows) (byClass[r.Pclass] ??= []).push(r.PassengerId);
  for (const k of Object.keys(byClass)) byClass[k].sort((a, b) => Number(a) - Number(b));
  const survivorsFirst = rows.filter((r) => r.Pclass === "1" && r.Survived === "1").length;
  return { rows, byClass, survivorsFirst };
}

const SCRIPT = `
import csv, json, sys, boto3
from boto3.dynamodb.conditions import Key, Attr
from decimal import Decimal
endpoint, path = sys.argv[1], sys.argv[2]
ddb = boto3.client("dynamodb", endpoint_url=endpoint)
res = boto3.resource("dynamodb", endpoint_url=endpoint)

def create(name):
    ddb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "PassengerId", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "PassengerId", "AttributeType": "N"}, {"AttributeName": "Pclass", "AttributeType": "N"}],
        GlobalSecondaryIndexes=[{
            "IndexName": "byClass",
            "KeySchema": [{"AttributeName": "Pclass", "KeyType": "HASH"}, {"AttributeName": "PassengerId", "KeyType": "RANGE"}],
            "Projection": {"ProjectionType": "ALL"},
        }],
        BillingMode="PAY_PER_REQUEST",
    )
    ddb.get_waiter("table_exists").wait(TableName=name)

def item(r):
    out = {}
    for k, v in r.items():
        if v == "":
            continue
        numeric = k in ("PassengerId", "Survived", "Pclass", "Age", "SibSp", "Parch", "Fare")
        out[k] = {"N": v} if numeric else {"S": v}
    return out

with open(path, newline="") as f:
    rows = list(csv.DictReader(f))

# 1. As the seed did: one PutItem per record.
create("titanic")
for r in rows:
    ddb.put_item(TableName="titanic", Item=item(r))

def query_client(table):
    by_class, pages = {}, 0
    for pclass in ("1", "2", "3"):
        ids, kwargs = [], {}
        while True:
            page = ddb.query(TableName=table, IndexName="byClass", KeyConditionExpression="Pclass = :c",
                             ExpressionAttributeValues={":c": {"N": pclass}}, Limit=100, **kwargs)
            pages += 1
            ids += [i["PassengerId"]["N"] for i in page["Items"]]
            if "LastEvaluatedKey" not in page:
                break
            kwargs = {"ExclusiveStartKey": page["LastEvaluatedKey"]}
        by_class[pclass] = ids
    return by_class, pages

client_by_class, client_pages = query_client("titanic")

# 2. BatchWriteItem: the client in batches of 25, and the resource API's batch_writer.
create("titanic_batch")
unprocessed = 0
for i in range(0, len(rows), 25):
    out = ddb.batch_write_item(RequestItems={"titanic_batch": [{"PutRequest": {"Item": item(r)}} for r in rows[i:i + 25]]})
    unprocessed += len(out.get("UnprocessedItems", {}).get("titanic_batch", []))
create("titanic_writer")
table = res.Table("titanic_writer")
with table.batch_writer() as w:
    for r in rows:
        doc = {k: (Decimal(v) if k in ("PassengerId", "Survived", "Pclass", "Age", "SibSp", "Parch", "Fare") else v) for k, v in r.items() if v != ""}
        w.put_item(Item=doc)

batch_by_class, _ = query_client("titanic_batch")

# 3. The resource Table API through the same GSI, with its paginating loop and a filter.
def query_resource(name, pclass, **extra):
    t = res.Table(name)
    items, kwargs = [], {}
    while True:
        page = t.query(IndexName="byClass", KeyConditionExpression=Key("Pclass").eq(pclass), **extra, **kwargs)
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            return items
        kwargs = {"ExclusiveStartKey": page["LastEvaluatedKey"]}

first = query_resource("titanic_writer", 1)
survivors_first = query_resource("titanic_writer", 1, FilterExpression=Attr("Survived").eq(1))
newest_third = res.Table("titanic_writer").query(IndexName="byClass", KeyConditionExpression=Key("Pclass").eq(3) & Key("PassengerId").gt(880), ScanIndexForward=False)["Items"]
one = res.Table("titanic_batch").get_item(Key={"PassengerId": 2})["Item"]

print(json.dumps({
    "rows": len(rows),
    "client_by_class": client_by_class,
    "client_pages": client_pages,
    "batch_by_class": batch_by_class,
    "unprocessed": unprocessed,
    "resource_first": [int(i["PassengerId"]) for i in first],
    "resource_first_fields": sorted(first[0].keys()),
    "survivors_first": len(survivors_first),
    "newest_third": [int(i["PassengerId"]) for i in newest_third],
    "one": {"Name": one["Name"], "Fare": str(one["Fare"]), "Pclass": int(one["Pclass"])},
    "counts": {t: ddb.describe_table(TableName=t)["Table"]["ItemCount"] for t in ("titanic", "titanic_batch", "titanic_writer")},
    "index_counts": {t: ddb.describe_table(TableName=t)["Table"]["GlobalSecondaryIndexes"][0]["ItemCount"] for t in ("titanic", "titanic_batch", "titanic_writer")},
}))
`;

describe.skipIf(!PYTHON || !existsSync(TITANIC))("Titanic through boto3", () => {
  it("loads every passenger with PutItem and with BatchWriteItem, and queries them back through a GSI on Pclass", async () => {
    const want = expected();
    const out = ok(await clients.python(freshAccount(), SCRIPT, n.endpoint, TITANIC));
    expect(out.rows).toBe(want.rows.length);
    expect(want.rows.length).toBe(891);
    // The GSI returns each class's passengers in PassengerId order (its range key), none missing.
    expect(out.client_by_class).toEqual(want.byClass);
    expect(out.batch_by_class).toEqual(want.byClass);
    // Limit 100 per page: 216, 184 and 491 passengers take 3 + 2 + 5 pages.
    const pages = Object.values(want.byClass).reduce((a, ids) => a + Math.floor(ids.length / 100) + 1, 0);
    expect(out.client_pages).toBe(pages);
    expect(out.unprocessed).toBe(0);
    expect(out.resource_first).toEqual(want.byClass["1"].map(Number));
    expect(out.resource_first_fields).toEqual(expect.arrayContaining(["Name", "Fare", "Pclass", "PassengerId", "Survived", "Ticket"]));
    expect(out.survivors_first).toBe(want.survivorsFirst);
    expect(out.newest_third).toEqual(want.byClass["3"].map(Number).filter((x) => x > 880).reverse());
    expect(out.one).toEqual({ Name: "Cumings, Mrs. John Bradley (Florence Briggs Thayer)", Fare: "71.2833", Pclass: 1 });
    expect(out.counts).toEqual({ titanic: 891, titanic_batch: 891, titanic_writer: 891 });
    expect(out.index_counts).toEqual({ titanic: 891, titanic_batch: 891, titanic_writer: 891 });
  }, 120_000);
});

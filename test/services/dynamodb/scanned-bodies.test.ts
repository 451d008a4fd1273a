// PutItem and GetItem bodies of the forms engine/item-scan.ts reads straight from their bytes
// (the SDK's own requests): the gateway skips the parse and the model check for them, and
// everything after still happens. IAM decides on the table the scanned body names; a key the
// scan cannot take (an M value) and an item without its key still get AWS's words.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GetItemCommand, PutItemCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { CreateAccessKeyCommand, CreateUserCommand, IAMClient, PutUserPolicyCommand } from "@aws-sdk/client-iam";
import { sdkConfig, startNimbus, type TestNimbus } from "../../support/nimbus.js";
import { account, createTable, failure } from "./helpers.js";

let n: TestNimbus;
beforeAll(async () => {
  n = await startNimbus();
});
afterAll(() => n.stop());

describe("scanned PutItem and GetItem bodies", () => {
  it("are authorized against the table they name", async () => {
    const { id, client: root } = account(n);
    await createTable(root, "tab-t", ["pk", "S"]);
    await createTable(root, "tab-u", ["pk", "S"]);
    const item = { pk: { S: "a" }, n: { N: "1" } };
    await root.send(new PutItemCommand({ TableName: "tab-t", Item: item }));

    const iam = new IAMClient(sdkConfig(n.endpoint, { accountId: id }));
    const user = await iam.send(new CreateUserCommand({ UserName: "reader" }));
    const key = await iam.send(new CreateAccessKeyCommand({ UserName: "reader" }));
    const policy = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "dynamodb:GetItem", Resource: `arn:aws:dynamodb:us-east-1:${id}:table/tab-t` }] };
    await iam.send(new PutUserPolicyCommand({ UserName: "reader", PolicyName: "read-tab-t", PolicyDocument: JSON.stringify(policy) }));
    const reader = new DynamoDBClient(sdkConfig(n.endpoint, { accountId: key.AccessKey!.AccessKeyId!, secretAccessKey: key.AccessKey!.SecretAccessKey! }));
    const arn = user.User!.Arn!;

    const put = await failure(reader.send(new PutItemCommand({ TableName: "tab-t", Item: { pk: { S: "a" }, n: { N: "2" } } })));
    expect(put.name).toBe("AccessDeniedException");
    expect(put.message).toBe(`User: ${arn} is not authorized to perform: dynamodb:PutItem on resource: arn:aws:dynamodb:us-east-1:${id}:table/tab-t because no identity-based policy allows the dynamodb:PutItem action`);
    // The denied write changed nothing.
    expect((await root.send(new GetItemCommand({ TableName: "tab-t", Key: { pk: { S: "a" } } }))).Item).toEqual(item);

    expect((await reader.send(new GetItemCommand({ TableName: "tab-t", Key: { pk: { S: "a" } }, ConsistentRead: true }))).Item).toEqual(item);
    const get = await failure(reader.send(new GetItemCommand({ TableName: "tab-u", Key: { pk: { S: "a" } } })));
    expect(get.name).toBe("AccessDeniedException");
    expect(get.message).toBe(`User: ${arn} is not authorized to perform: dynamodb:GetItem on resource: arn:aws:dynamodb:us-east-1:${id}:table/tab-u because no identity-based policy allows the dynamodb:GetItem action`);
  });

  it("that the scan declines to key keep the general path's errors", async () => {
    const { client: c } = account(n);
    await createTable(c, "tab-k", ["pk", "N"]);
    const mismatch = await failure(c.send(new PutItemCommand({ TableName: "tab-k", Item: { pk: { M: { a: { S: "x" } } } } })));
    expect(mismatch.name).toBe("ValidationException");
    expect(mismatch.message).toBe("One or more parameter values were invalid: Type mismatch for key pk expected: N actual: M");
    const missing = await failure(c.send(new PutItemCommand({ TableName: "tab-k", Item: { other: { N: "1" } } })));
    expect(missing.message).toBe("One or more parameter values were invalid: Missing the key pk in the item");
    const wrongType = await failure(c.send(new GetItemCommand({ TableName: "tab-k", Key: { pk: { S: "1" } } })));
    expect(wrongType.message).toBe("The provided key element does not match the schema");
    const gone = await failure(c.send(new PutItemCommand({ TableName: "nope", Item: { pk: { N: "1" } } })));
    expect(gone.name).toBe("ResourceNotFoundException");
    // A scanned write of a number keys by its value: 10 and 1e1 are one item.
    await c.send(new PutItemCommand({ TableName: "tab-k", Item: { pk: { N: "10" }, v: { S: "first" } } }));
    await c.send(new PutItemCommand({ TableName: "tab-k", Item: { pk: { N: "1e1" }, v: { S: "second" } } }));
    expect((await c.send(new GetItemCommand({ TableName: "tab-k", Key: { pk: { N: "10" } } }))).Item).toEqual({ pk: { N: "10" }, v: { S: "second" } });
  });
});

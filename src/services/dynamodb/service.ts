// Amazon DynamoDB: tables and the item data plane (items, expressions, Query, Scan, batches,
// transactions)
// in Nimbus's database (see store.ts for the tables, engine/ for the expression languages).
import { defineService, type ServiceRuntime } from "../../core/service.js";
import { dynamoStore, migrations } from "./store.js";
import {
  CreateTable,
  DeleteTable,
  DescribeTable,
  DescribeTimeToLive,
  ListTables,
  ListTagsOfResource,
  TagResource,
  UntagResource,
  UpdateTable,
} from "./handlers/tables.js";
import { DeleteItem, GetItem, PutItem, UpdateItem } from "./handlers/items.js";
import { Query, Scan } from "./handlers/query.js";
import { BatchGetItem, BatchWriteItem } from "./handlers/batch.js";
import { TransactGetItems, TransactWriteItems } from "./handlers/transactions.js";

export const dynamodb = defineService({
  name: "dynamodb",
  handlers: {
    CreateTable,
    DescribeTable,
    ListTables,
    UpdateTable,
    DeleteTable,
    DescribeTimeToLive,
    ListTagsOfResource,
    TagResource,
    UntagResource,
    PutItem,
    GetItem,
    DeleteItem,
    UpdateItem,
    Query,
    Scan,
    BatchWriteItem,
    BatchGetItem,
    TransactWriteItems,
    TransactGetItems,
  },
  migrations,
  reset(rt: ServiceRuntime) {
    dynamoStore(rt.db).reset();
  },
});

// Amazon DynamoDB: tables and the item data plane (items, expressions, Query, Scan, batches,
// transactions), backups and point-in-time recovery (backups/), global tables (global/)
// in Nimbus's database (see store.ts for the tables, engine/ for the expression languages).
import { defineService, type ServiceRuntime } from "../../core/service.js";
import { dynamoStore, migrations } from "./store.js";
import {
  CreateTable,
  DeleteTable,
  DescribeEndpoints,
  DescribeLimits,
  DescribeTable,
  ListTables,
  ListTagsOfResource,
  TagResource,
  UntagResource,
  UpdateTable,
} from "./handlers/tables.js";
import { DeleteItem, GetItem, PutItem, UpdateItem } from "./handlers/items.js";
import { scanGetItem, scanPutItem } from "./engine/item-scan.js";
import { Query, Scan } from "./handlers/query.js";
import { BatchGetItem, BatchWriteItem } from "./handlers/batch.js";
import { TransactGetItems, TransactWriteItems } from "./handlers/transactions.js";
import { BatchExecuteStatement, ExecuteStatement, ExecuteTransaction } from "./partiql/execute.js";
import { DescribeTimeToLive, startSweeper, UpdateTimeToLive } from "./ttl.js";
import { CreateBackup, DeleteBackup, DescribeBackup, ListBackups, RestoreTableFromBackup } from "./backups/backups.js";
import { DescribeContinuousBackups, RestoreTableToPointInTime, UpdateContinuousBackups } from "./backups/pitr.js";
import { DescribeTableReplicaAutoScaling } from "./global/replicas.js";
import { startReplicator } from "./global/replication.js";
import { CreateGlobalTable, DescribeGlobalTable, ListGlobalTables, UpdateGlobalTable } from "./global/legacy.js";

const sweepers = new WeakMap<ServiceRuntime["db"], () => void>();
const replicators = new WeakMap<ServiceRuntime["db"], () => void>();

export const dynamodb = defineService({
  name: "dynamodb",
  handlers: {
    CreateTable,
    DescribeTable,
    ListTables,
    UpdateTable,
    DeleteTable,
    DescribeTimeToLive,
    UpdateTimeToLive,
    DescribeLimits,
    DescribeEndpoints,
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
    ExecuteStatement,
    BatchExecuteStatement,
    ExecuteTransaction,
    CreateBackup,
    DescribeBackup,
    ListBackups,
    DeleteBackup,
    RestoreTableFromBackup,
    UpdateContinuousBackups,
    DescribeContinuousBackups,
    RestoreTableToPointInTime,
    DescribeTableReplicaAutoScaling,
    CreateGlobalTable,
    DescribeGlobalTable,
    ListGlobalTables,
    UpdateGlobalTable,
  },
  // PutItem's and GetItem's common bodies read without JSON.parse (engine/item-scan.ts).
  fastInputs: { PutItem: scanPutItem, GetItem: scanGetItem },
  migrations,
  // Stream records are announced on the event bus with Nimbus time; the TTL sweeper follows the clock.
  start(rt: ServiceRuntime) {
    const store = dynamoStore(rt.db);
    // Tables a crash left with counts behind their items (store.ts, "item counts").
    store.recountDirty();
    store.events = rt.events;
    store.clock = rt.clock;
    sweepers.set(rt.db, startSweeper(rt));
    replicators.set(rt.db, startReplicator(rt));
  },
  stop(rt: ServiceRuntime) {
    replicators.get(rt.db)?.();
    replicators.delete(rt.db);
    sweepers.get(rt.db)?.();
    sweepers.delete(rt.db);
    dynamoStore(rt.db).flushCounts();
  },
  reset(rt: ServiceRuntime) {
    dynamoStore(rt.db).reset();
  },
});

// Amazon DynamoDB Streams: the read side of table streams (ListStreams, DescribeStream,
// GetShardIterator, GetRecords). The dynamodb service writes the records with each item change;
// see handlers/streams.ts for the tables this service reads.
import { defineService } from "../../core/service.js";
import { DescribeStream, GetRecords, GetShardIterator, ListStreams } from "./handlers/streams.js";

export const dynamodbStreams = defineService({
  name: "dynamodb-streams",
  handlers: { ListStreams, DescribeStream, GetShardIterator, GetRecords },
});

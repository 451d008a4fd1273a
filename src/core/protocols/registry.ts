// Every wire protocol by its model id. The gateway answers in the protocol of the request.
import type { ProtocolId } from "../model/types.js";
import type { Protocol } from "./types.js";
import { restXml } from "./rest-xml/index.js";
import { awsQuery, ec2Query } from "./aws-query/index.js";
import { awsJson1_0, awsJson1_1 } from "./aws-json/index.js";
import { restJson1 } from "./rest-json/index.js";
import { rpcV2Cbor } from "./rpc-v2-cbor/index.js";

export const PROTOCOLS: Record<ProtocolId, Protocol> = {
  restXml,
  restJson1,
  awsJson1_0,
  awsJson1_1,
  awsQuery,
  ec2Query,
  smithyRpcv2cbor: rpcV2Cbor,
};

export { rpcV2Cbor } from "./rpc-v2-cbor.js";

// restXml: S3, S3 Control and Route 53.
export { restXml } from "./rest-xml.js";

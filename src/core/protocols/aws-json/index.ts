export { awsJson1_0, awsJson1_1 } from "./aws-json.js";

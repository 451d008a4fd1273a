// The query protocols: awsQuery (form parameters in, <OpResponse><OpResult> XML out) and its
// EC2 variant ec2Query.
export { awsQuery } from "./aws-query.js";
export { ec2Query } from "./ec2.js";

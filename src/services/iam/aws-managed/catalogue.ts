// The AWS-managed policies Nimbus knows, with their real documents and ARNs
// (arn:aws:iam::aws:policy/<path><name>), from the AWS Managed Policy Reference. They belong to
// no account: every account sees and attaches the same ones. policies.json is the data.
import data from "./policies.json" with { type: "json" };

export interface AwsManagedPolicy {
  PolicyName: string;
  Path: string;
  PolicyId: string;
  Arn: string;
  Description: string;
  CreateDate: number;
  UpdateDate: number;
  DefaultVersionId: string;
  /** The default version's document, as JSON text. */
  Document: string;
}

interface RawPolicy {
  PolicyName: string;
  Path: string;
  PolicyId: string;
  Description: string;
  CreateDate: string;
  UpdateDate: string;
  DefaultVersionId: string;
  Document: unknown;
  /** Where the document departs from AWS's (abbreviated...), for maintainers; not served. */
  Note?: string;
}

const byArn = new Map<string, AwsManagedPolicy>();
for (const p of (data as { policies: RawPolicy[] }).policies) {
  const arn = `arn:aws:iam::aws:policy${p.Path}${p.PolicyName}`;
  byArn.set(arn, {
    PolicyName: p.PolicyName,
    Path: p.Path,
    PolicyId: p.PolicyId,
    Arn: arn,
    Description: p.Description,
    CreateDate: Date.parse(p.CreateDate),
    UpdateDate: Date.parse(p.UpdateDate),
    DefaultVersionId: p.DefaultVersionId,
    Document: JSON.stringify(p.Document, null, 4),
  });
}

/** Every AWS-managed policy, in name order (the order ListPolicies answers in). */
export const AWS_MANAGED_POLICIES: readonly AwsManagedPolicy[] = [...byArn.values()].sort((a, b) =>
  a.PolicyName.toLowerCase() < b.PolicyName.toLowerCase() ? -1 : 1,
);

export function awsManagedPolicy(arn: string): AwsManagedPolicy | undefined {
  return byArn.get(arn);
}

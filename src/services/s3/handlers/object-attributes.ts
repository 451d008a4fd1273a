// GetObjectAttributes: what HEAD tells plus the parts of a multipart object, for the
// attributes asked for in x-amz-object-attributes (ETag, Checksum, ObjectParts, StorageClass,
// ObjectSize). The version read is the one GetObject would read (current, or by versionId,
// with the same errors). ObjectParts appears for multipart objects only, paginated by
// max-parts / part-number-marker; the ETag comes without quotes, as S3 sends it here.
import type { GetObjectAttributesOutput, GetObjectAttributesRequest, ObjectPart } from "@aws-sdk/client-s3";
import { AwsError } from "../../../core/errors.js";
import type { Handler } from "../../../core/service.js";
import { ownBucket } from "./buckets.js";
import { checksumMembers, versionIdMember, versionToRead } from "./objects.js";

const ATTRIBUTES = new Set(["ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize"]);

export const GetObjectAttributes: Handler<GetObjectAttributesRequest, GetObjectAttributesOutput> = (input, ctx) => {
  const bucket = ownBucket(ctx, input.Bucket!);
  // The header is a comma-separated list; the SDK sends an array, other clients one string.
  const wanted = new Set((input.ObjectAttributes ?? []).flatMap((a) => String(a).split(",")).map((a) => a.trim()).filter((a) => a !== ""));
  if (wanted.size === 0) {
    throw new AwsError("InvalidRequest", "The x-amz-object-attributes header specifying the attributes to be retrieved is either missing or empty", 400);
  }
  for (const a of wanted) {
    if (!ATTRIBUTES.has(a)) throw new AwsError("InvalidArgument", "Invalid attribute name specified.", 400, { fields: { ArgumentName: "x-amz-object-attributes", ArgumentValue: a } });
  }
  const o = versionToRead(ctx, bucket, input.Key!, input.VersionId, false);
  const out: GetObjectAttributesOutput = { LastModified: new Date(o.lastModified), ...versionIdMember(bucket, o.versionId) };
  if (wanted.has("ETag")) out.ETag = o.etag.replace(/^"|"$/g, "");
  if (wanted.has("Checksum") && Object.keys(o.checksums).length > 0) out.Checksum = checksumMembers(o.checksums, o.checksumType) as GetObjectAttributesOutput["Checksum"];
  if (wanted.has("StorageClass")) out.StorageClass = o.storageClass as GetObjectAttributesOutput["StorageClass"];
  if (wanted.has("ObjectSize")) out.ObjectSize = o.size;
  if (wanted.has("ObjectParts") && o.parts) {
    const max = Math.min(input.MaxParts ?? 1000, 1000);
    const marker = Number(input.PartNumberMarker ?? 0) || 0;
    const page: ObjectPart[] = [];
    for (let i = marker; i < o.parts.length && page.length < max; i++) {
      const p = o.parts[i];
      const sums: Record<string, string> = {};
      for (const [alg, v] of Object.entries(p.checksums ?? {})) sums[`Checksum${alg}`] = v;
      page.push({ PartNumber: i + 1, Size: p.size, ...sums });
    }
    const lastNumber = page.length ? page[page.length - 1].PartNumber! : marker;
    out.ObjectParts = {
      TotalPartsCount: o.parts.length,
      PartNumberMarker: String(marker),
      NextPartNumberMarker: String(lastNumber),
      MaxParts: max,
      IsTruncated: lastNumber < o.parts.length,
      Parts: page,
    } as GetObjectAttributesOutput["ObjectParts"];
  }
  return out;
};

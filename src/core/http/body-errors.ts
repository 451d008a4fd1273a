// The AWS errors a request body can earn while it is decoded, with S3's codes and wording.
// Sources for the wording: the S3 error-code table (IncompleteBody, BadDigest, InvalidDigest),
// and, for the aws-chunked/trailer cases the table does not list, responses captured from real
// S3 by the S3-compatible gateways that test against it (versity/versitygw issues 1600, 1626,
// 1665, 1666, 1683-1685, 1691-1692; scality/Arsenal PR 2596). All are 400 Bad Request.
import { AwsError } from "../errors.js";
import type { ChecksumAlgorithm } from "./checksums.js";

/** Framing broken: bad chunk size, missing CRLF, missing chunk-signature, body cut short. */
export function incompleteBody(): AwsError {
  return new AwsError("IncompleteBody", "The request body terminated unexpectedly", 400);
}

/** Decoded bytes differ from x-amz-decoded-content-length (or Content-Length). */
export function lengthMismatch(expected: number, provided: number): AwsError {
  return new AwsError(
    "IncompleteBody",
    "You did not provide the number of bytes specified by the Content-Length HTTP header",
    400,
    { fields: { NumberBytesExpected: expected, NumberBytesProvided: provided } },
  );
}

/**
 * A chunk other than the last is smaller than the minimum. S3 numbers `Chunk` one past the
 * small chunk (it notices when it reads the *next* header), so a 3-byte first chunk followed by
 * more data reports Chunk 2, BadChunkSize 3. We reproduce that.
 */
export function invalidChunkSize(chunk: number, badSize: number, minSize: number): AwsError {
  return new AwsError("InvalidChunkSizeError", `Only the last chunk is allowed to have a size less than ${minSize} bytes`, 400, {
    fields: { Chunk: chunk, BadChunkSize: badSize },
  });
}

/** Trailer lines malformed, missing although declared, present although undeclared, or not matching x-amz-trailer. */
export function malformedTrailer(): AwsError {
  return new AwsError(
    "MalformedTrailerError",
    "The request contained trailing data that was not well-formed or did not conform to our published schema.",
    400,
  );
}

export function badContentMd5(): AwsError {
  return new AwsError("BadDigest", "The Content-MD5 you specified did not match what we received.", 400);
}

export function invalidContentMd5(): AwsError {
  return new AwsError("InvalidDigest", "The Content-MD5 you specified was invalid.", 400);
}

/** A checksum (header or trailer) that does not match the bytes received. */
export function badChecksum(alg: ChecksumAlgorithm): AwsError {
  return new AwsError("BadDigest", `The ${alg} you specified did not match the calculated checksum.`, 400);
}

/** `Value for x-amz-checksum-crc32 header is invalid.` / `... trailing header is invalid.` */
export function invalidChecksumValue(headerName: string, where: "header" | "trailing header"): AwsError {
  return new AwsError("InvalidRequest", `Value for ${headerName} ${where} is invalid.`, 400);
}

export function contentSha256Mismatch(clientHex: string, computedHex: string): AwsError {
  return new AwsError("XAmzContentSHA256Mismatch", "The provided 'x-amz-content-sha256' header does not match what was computed.", 400, {
    fields: { ClientComputedContentSHA256: clientHex, S3ComputedContentSHA256: computedHex },
  });
}

/** Nimbus's own limit on a body it must hold in memory (readAll, gunzip output). CloudWatch's wording. */
export function requestTooLarge(size: number, limit: number): AwsError {
  return new AwsError("RequestEntityTooLarge", `Request size ${size} exceeded ${limit} bytes`, 413);
}

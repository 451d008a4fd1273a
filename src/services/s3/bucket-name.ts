// S3 general purpose bucket naming rules (S3 user guide, "Bucket naming rules"), checked in
// the order AWS documents them.
export function isValidBucketName(name: string): boolean {
  // 1. 3 to 63 characters.
  if (name.length < 3 || name.length > 63) return false;
  // 2. Only lower-case letters, digits, dots and hyphens.
  if (!/^[a-z0-9.-]+$/.test(name)) return false;
  // 3. Begin and end with a letter or digit.
  if (!/^[a-z0-9]/.test(name) || !/[a-z0-9]$/.test(name)) return false;
  // 4. No two adjacent periods.
  if (name.includes("..")) return false;
  // 5. Not formatted as an IP address.
  if (/^\d+\.\d+\.\d+\.\d+$/.test(name)) return false;
  // 6. Reserved prefixes and suffixes.
  if (/^(xn--|sthree-|amzn-s3-demo-)/.test(name)) return false;
  if (/(-s3alias|--ol-s3|\.mrap|--x-s3|--table-s3)$/.test(name)) return false;
  return true;
}

/**
 * /^[0-9a-fA-F]{64}$/ as a loop: every signed SDK request sends an x-amz-content-sha256, checked
 * both by SigV4 (core/auth/canonical-request.ts) and by body decoding (decode-body.ts), and the
 * regex was ~1% of a GetObject and more than the rest of the header's parse.
 */
export function isSha256Hex(v: string): boolean {
  if (v.length !== 64) return false;
  for (let i = 0; i < 64; i++) {
    const c = v.charCodeAt(i);
    if (c >= 0x30 && c <= 0x39) continue;
    const l = c | 0x20; // ASCII letters to lower case (only A-F and a-f land in a-f)
    if (l < 0x61 || l > 0x66) return false;
  }
  return true;
}

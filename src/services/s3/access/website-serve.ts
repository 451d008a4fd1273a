import type { RawHttpRequest, RawHttpResponse, RawHttpRuntime } from "../../../core/service.js";
export function isWebsiteRequest(_rawPath: string, _host: string, _baseDomains: readonly string[]): boolean {
  return false;
}
export async function serveWebsite(_req: RawHttpRequest, _rt: RawHttpRuntime): Promise<RawHttpResponse> {
  return { status: 501, headers: {} };
}

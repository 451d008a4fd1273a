import type { RawHttpRequest, RawHttpResponse, RawHttpRuntime } from "../../../core/service.js";
export async function postObject(_req: RawHttpRequest, _rt: RawHttpRuntime): Promise<RawHttpResponse> {
  return { status: 501, headers: {} };
}

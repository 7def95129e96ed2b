/** Stable codes for requests the service refuses before any delivery is tried. */
export type RequestErrorCode =
  | "unauthorized"
  | "not_found"
  | "method_not_allowed"
  | "unsupported_media_type"
  | "payload_too_large"
  | "invalid_json"
  | "request_timeout"
  | "invalid_request"
  | "internal_error";

/** One field-level cause inside an error answer. */
export interface ErrorCause {
  readonly location: string;
  readonly problem: string;
}

const JSON_HEADERS = { "content-type": "application/json; charset=utf-8" };

/** A JSON answer with the given status. */
export function jsonResponse(body: unknown, status = 200, headers: HeadersInit = JSON_HEADERS): Response {
  return new Response(JSON.stringify(body), { status, headers });
}

/**
 * A JSON error in Okta's error shape, so whoever reads it (Okta's preview, curl, a log) sees one format.
 * Messages are fixed texts: no request content is ever echoed.
 */
export function errorResponse(
  status: number,
  code: RequestErrorCode,
  summary: string,
  options: { causes?: readonly ErrorCause[]; headers?: Record<string, string> } = {},
): Response {
  const error = {
    errorCode: code,
    errorSummary: summary,
    errorCauses: (options.causes ?? []).map((cause) => ({
      errorSummary: cause.problem,
      location: cause.location,
    })),
  };
  return jsonResponse({ error }, status, { ...JSON_HEADERS, ...options.headers });
}

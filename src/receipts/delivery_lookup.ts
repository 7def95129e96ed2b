import type { DeliveryLedger } from "../domain/ports.ts";
import { errorResponse, jsonResponse } from "../http/json_response.ts";
import { sameInConstantTime } from "../http/constant_time.ts";

/** The path prefix of the lookup: `GET /deliveries/{eventId}`. */
export const DELIVERIES_PREFIX = "/deliveries/";

/**
 * `GET /deliveries/{eventId}`, with its own credential (the exact `Authorization` value): whether the passcode
 * for one Okta event reached the phone, for a help desk without access to Jaeger. Only the masked number is
 * returned. It is not the hook's secret, so whoever can look deliveries up cannot trigger passcodes.
 */
export function createDeliveryLookup(
  authorization: string,
  ledger: DeliveryLedger,
): (request: Request) => Promise<Response> {
  return async (request) => {
    if (!sameInConstantTime(request.headers.get("authorization") ?? "", authorization)) {
      return errorResponse(401, "unauthorized", "Missing or wrong credentials");
    }
    const path = new URL(request.url).pathname;
    const eventId = decodedOrUndefined(
      path.slice(path.indexOf(DELIVERIES_PREFIX) + DELIVERIES_PREFIX.length),
    );
    if (eventId === undefined) {
      return errorResponse(400, "invalid_request", "The event id in the path is not valid percent-encoding");
    }
    const record = /^[\x21-\x7E]{1,128}$/.test(eventId) ? await ledger.lookup(eventId) : undefined;
    if (record === undefined) {
      return errorResponse(404, "not_found", "No SMS sent for this event is remembered");
    }
    return jsonResponse({
      eventId: record.eventId,
      transactionId: record.transactionId,
      destination: record.maskedDestination,
      sentAt: new Date(record.sentAt).toISOString(),
      state: record.status?.state ?? "sent",
      detail: record.status?.detail,
      errorCode: record.status?.errorCode,
      updatedAt: record.updatedAt === undefined ? undefined : new Date(record.updatedAt).toISOString(),
    });
  };
}

// `%E0%A4%A` and the like: a client's mistake, not a server error.
function decodedOrUndefined(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

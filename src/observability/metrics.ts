import type { Route, ServerRequest } from "../http/router.ts";

export type { ServerRequest };

/** One answered passcode request, as counted. */
export interface DeliveryCount {
  readonly channel: string;
  readonly outcome: string;
  readonly reason?: string;
  /** The abuse rule that refused, e.g. `per_number`; absent for everything else. */
  readonly rule?: string;
  /** The destination's country calling code, e.g. `+65`; absent when the number could not be read. */
  readonly countryCallingCode?: string;
  /** Answered from an earlier delivery of the same eventId: counted apart, since nothing was sent. */
  readonly replayed: boolean;
}

/** One attempt of a call to 8x8, for the client duration histogram. */
export interface ClientRequest {
  readonly method: string;
  readonly serverAddress: string;
  readonly serverPort: number;
  readonly status?: number;
  /** The outcome's reason when the attempt did not deliver. */
  readonly errorType?: string;
}

/** What the service counts and times; bounded attributes only, never a number, id or code. */
export interface ServiceMetrics {
  delivery(count: DeliveryCount): void;
  /** A carrier's verdict, by state and destination country calling code. */
  receipt(state: string, countryCallingCode: string): void;
  /** A store operation that failed; the request went on without it. */
  storeFailure(store: string, operation: string): void;
  /** An entry the memory budget made go before its time. */
  storeEarlyEviction(store: string): void;
  serverRequest(request: ServerRequest, seconds: number): void;
  clientRequest(request: ClientRequest, seconds: number): void;
}

/** `GET /metrics` in Prometheus' text format, as the OpenTelemetry Prometheus serializer writes it. */
export function metricsRoute(prometheusText: () => Promise<string>): Route {
  return {
    method: "GET",
    path: "/metrics",
    handler: async () =>
      new Response(await prometheusText(), { headers: { "content-type": "text/plain; version=0.0.4" } }),
  };
}

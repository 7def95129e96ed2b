// A trace collector on loopback: accepts OTLP/HTTP JSON exactly as exporters send it (gzip or not), keeps
// every raw byte for redaction checks, and decodes spans for assertions.

/** An attribute value as OTLP/JSON's AnyValue carries it, flattened. */
export type AttributeValue = string | number | boolean | undefined;

/** One exported span, decoded. */
export interface ExportedSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly name: string;
  /** OTLP's SpanKind: 1 internal, 2 server, 3 client. */
  readonly kind: number;
  readonly attributes: Readonly<Record<string, AttributeValue>>;
  /** OTLP's status code: 0 unset, 1 ok, 2 error. */
  readonly statusCode: number;
  readonly events: readonly { name: string; attributes: Readonly<Record<string, AttributeValue>> }[];
  readonly links: readonly { traceId: string; spanId: string }[];
  readonly resource: Readonly<Record<string, AttributeValue>>;
}

/** OTLP span kinds. */
export const KIND = { INTERNAL: 1, SERVER: 2, CLIENT: 3 } as const;

/** A running receiver. */
export interface OtlpReceiver {
  /** The base URL, as `OTEL_EXPORTER_OTLP_ENDPOINT` takes it. */
  readonly url: string;
  readonly spans: readonly ExportedSpan[];
  /** Every request body received, on any signal path, decompressed. */
  readonly rawBodies: readonly string[];
  /** Resolves once the spans received so far satisfy `ready`. */
  waitFor(ready: (spans: readonly ExportedSpan[]) => boolean): Promise<void>;
  close(): Promise<void>;
}

type AnyValue = {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
};
type KeyValue = { key: string; value?: AnyValue };
type OtlpSpan = {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes?: KeyValue[];
  status?: { code?: number };
  events?: { name: string; attributes?: KeyValue[] }[];
  links?: { traceId: string; spanId: string }[];
};
type TraceRequest = {
  resourceSpans?: { resource?: { attributes?: KeyValue[] }; scopeSpans?: { spans?: OtlpSpan[] }[] }[];
};

/** Starts the receiver on 127.0.0.1 with a free port. */
export function startOtlpReceiver(): OtlpReceiver {
  const spans: ExportedSpan[] = [];
  const rawBodies: string[] = [];
  const waiters: { ready: (spans: readonly ExportedSpan[]) => boolean; resolve: () => void }[] = [];
  const wake = () => {
    for (const waiter of [...waiters]) {
      if (waiter.ready(spans)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  };

  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (request) => {
    const compressed = request.headers.get("content-encoding") === "gzip";
    const stream = compressed ? request.body!.pipeThrough(new DecompressionStream("gzip")) : request.body!;
    const text = await new Response(stream).text();
    rawBodies.push(text);
    if (!request.headers.get("content-type")?.startsWith("application/json")) {
      return new Response("only OTLP/JSON is decoded here", { status: 415 });
    }
    if (new URL(request.url).pathname === "/v1/traces") {
      spans.push(...decodeSpans(JSON.parse(text)));
      wake();
    }
    return Response.json({ partialSuccess: {} });
  });

  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    spans,
    rawBodies,
    waitFor: (ready) =>
      new Promise((resolve) => {
        waiters.push({ ready, resolve });
        wake();
      }),
    close: () => server.shutdown(),
  };
}

function decodeSpans(request: TraceRequest): ExportedSpan[] {
  return (request.resourceSpans ?? []).flatMap((resourceSpans) => {
    const resource = attributesOf(resourceSpans.resource?.attributes);
    return (resourceSpans.scopeSpans ?? []).flatMap((scope) =>
      (scope.spans ?? []).map((span): ExportedSpan => ({
        traceId: span.traceId,
        spanId: span.spanId,
        parentSpanId: span.parentSpanId || undefined,
        name: span.name,
        kind: span.kind,
        attributes: attributesOf(span.attributes),
        statusCode: span.status?.code ?? 0,
        links: (span.links ?? []).map(({ traceId, spanId }) => ({ traceId, spanId })),
        events: (span.events ?? []).map((event) => ({
          name: event.name,
          attributes: attributesOf(event.attributes),
        })),
        resource,
      }))
    );
  });
}

function attributesOf(list: KeyValue[] | undefined): Record<string, AttributeValue> {
  const attributes: Record<string, AttributeValue> = {};
  for (const { key, value } of list ?? []) {
    attributes[key] = value?.stringValue ?? value?.boolValue ?? value?.doubleValue ??
      (value?.intValue === undefined ? undefined : Number(value.intValue));
  }
  return attributes;
}

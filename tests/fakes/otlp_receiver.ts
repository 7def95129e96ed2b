// A collector on loopback: accepts OTLP/HTTP as exporters send it, protobuf or JSON, gzip or not, keeps every raw
// body for redaction checks, and decodes spans, metrics and log records for assertions.
import {
  logsRequestFromProtobuf,
  metricsRequestFromProtobuf,
  traceRequestFromProtobuf,
} from "./otlp_protobuf.ts";

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

/** One exported metric data point, decoded: a sum's or gauge's value, or a histogram's count and buckets. */
export interface ExportedPoint {
  readonly metric: string;
  readonly unit: string;
  readonly kind: "sum" | "gauge" | "histogram";
  readonly attributes: Readonly<Record<string, AttributeValue>>;
  readonly value?: number;
  readonly count?: number;
  readonly bucketCounts?: readonly number[];
  readonly explicitBounds?: readonly number[];
  readonly resource: Readonly<Record<string, AttributeValue>>;
  readonly scope?: { readonly name: string; readonly version?: string };
}

/** One exported log record, decoded. */
export interface ExportedLog {
  readonly body: AttributeValue;
  readonly severityNumber: number;
  readonly severityText: string;
  readonly traceId: string;
  readonly spanId: string;
  readonly attributes: Readonly<Record<string, AttributeValue>>;
  readonly resource: Readonly<Record<string, AttributeValue>>;
}

/** A running receiver. */
export interface OtlpReceiver {
  /** The base URL, as `OTEL_EXPORTER_OTLP_ENDPOINT` takes it. */
  readonly url: string;
  readonly spans: readonly ExportedSpan[];
  readonly points: readonly ExportedPoint[];
  readonly logs: readonly ExportedLog[];
  /** Every request body received, on any signal path, decompressed (protobuf read as UTF-8 text). */
  readonly rawBodies: readonly string[];
  /** The content type of each request, by signal path: `/v1/traces` → `application/x-protobuf`, say. */
  readonly contentTypes: ReadonlyMap<string, readonly string[]>;
  /** Resolves once the spans received so far satisfy `ready`. */
  waitFor(ready: (spans: readonly ExportedSpan[]) => boolean): Promise<void>;
  /**
   * Resolves once anything received so far satisfies `ready`; rejects after `failAfterMs` (default 15 s), so a
   * signal that never comes fails the test instead of hanging it.
   */
  waitUntil(ready: (receiver: OtlpReceiver) => boolean, failAfterMs?: number): Promise<void>;
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
  const points: ExportedPoint[] = [];
  const logs: ExportedLog[] = [];
  const rawBodies: string[] = [];
  const contentTypes = new Map<string, string[]>();
  const waiters: { ready: () => boolean; resolve: () => void }[] = [];
  const wake = () => {
    for (const waiter of [...waiters]) {
      if (waiter.ready()) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  };

  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (request) => {
    const compressed = request.headers.get("content-encoding") === "gzip";
    const stream = compressed ? request.body!.pipeThrough(new DecompressionStream("gzip")) : request.body!;
    const bytes = new Uint8Array(await new Response(stream).arrayBuffer());
    rawBodies.push(new TextDecoder().decode(bytes));
    const path = new URL(request.url).pathname;
    const contentType = request.headers.get("content-type")?.split(";")[0]?.trim() ?? "";
    contentTypes.set(path, [...contentTypes.get(path) ?? [], contentType]);
    const protobuf = contentType === "application/x-protobuf";
    if (!protobuf && contentType !== "application/json") {
      return new Response("OTLP/HTTP is protobuf or JSON", { status: 415 });
    }
    const json = (fromProtobuf: (bytes: Uint8Array) => unknown) =>
      protobuf ? fromProtobuf(bytes) : JSON.parse(new TextDecoder().decode(bytes));
    if (path === "/v1/traces") spans.push(...decodeSpans(json(traceRequestFromProtobuf) as TraceRequest));
    else if (path === "/v1/metrics") {
      points.push(...decodePoints(json(metricsRequestFromProtobuf) as MetricsRequest));
    } else if (path === "/v1/logs") logs.push(...decodeLogs(json(logsRequestFromProtobuf) as LogsRequest));
    else return new Response("no such signal", { status: 404 });
    wake();
    // An empty answer is a full success in both encodings.
    return protobuf
      ? new Response(new Uint8Array(), { headers: { "content-type": "application/x-protobuf" } })
      : Response.json({ partialSuccess: {} });
  });

  const receiver: OtlpReceiver = {
    url: `http://127.0.0.1:${server.addr.port}`,
    spans,
    points,
    logs,
    rawBodies,
    contentTypes,
    waitFor: (ready) => receiver.waitUntil(() => ready(spans)),
    waitUntil: (ready, failAfterMs = 15_000) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(waiter), 1);
          const got = `${spans.length} spans, ${points.length} points, ${logs.length} log records`;
          reject(
            new Error(
              `the collector did not receive what the test waits for within ${failAfterMs} ms (${got})`,
            ),
          );
        }, failAfterMs);
        const waiter = { ready: () => ready(receiver), resolve: () => (clearTimeout(timer), resolve()) };
        waiters.push(waiter);
        wake();
      }),
    close: () => server.shutdown(),
  };
  return receiver;
}

type NumberPoint = { attributes?: KeyValue[]; asDouble?: number; asInt?: string | number };
type HistogramPoint = {
  attributes?: KeyValue[];
  count?: string | number;
  bucketCounts?: (string | number)[];
  explicitBounds?: number[];
};
type MetricsRequest = {
  resourceMetrics?: {
    resource?: { attributes?: KeyValue[] };
    scopeMetrics?: {
      scope?: { name: string; version?: string };
      metrics?: {
        name: string;
        unit?: string;
        sum?: { dataPoints?: NumberPoint[] };
        gauge?: { dataPoints?: NumberPoint[] };
        histogram?: { dataPoints?: HistogramPoint[] };
      }[];
    }[];
  }[];
};
type LogsRequest = {
  resourceLogs?: {
    resource?: { attributes?: KeyValue[] };
    scopeLogs?: {
      logRecords?: {
        body?: AnyValue;
        severityNumber?: number;
        severityText?: string;
        traceId?: string;
        spanId?: string;
        attributes?: KeyValue[];
      }[];
    }[];
  }[];
};

function decodePoints(request: MetricsRequest): ExportedPoint[] {
  return (request.resourceMetrics ?? []).flatMap((resourceMetrics) => {
    const resource = attributesOf(resourceMetrics.resource?.attributes);
    return (resourceMetrics.scopeMetrics ?? []).flatMap(({ scope, metrics }) =>
      (metrics ?? []).flatMap((metric): ExportedPoint[] => {
        const base = { metric: metric.name, unit: metric.unit ?? "", resource, scope };
        const numbers = (kind: "sum" | "gauge", list: NumberPoint[] | undefined) =>
          (list ?? []).map((point) => ({
            ...base,
            kind,
            attributes: attributesOf(point.attributes),
            value: point.asDouble ?? Number(point.asInt),
          }));
        return [
          ...numbers("sum", metric.sum?.dataPoints),
          ...numbers("gauge", metric.gauge?.dataPoints),
          ...(metric.histogram?.dataPoints ?? []).map((point) => ({
            ...base,
            kind: "histogram" as const,
            attributes: attributesOf(point.attributes),
            count: Number(point.count ?? 0),
            bucketCounts: (point.bucketCounts ?? []).map(Number),
            explicitBounds: point.explicitBounds ?? [],
          })),
        ];
      })
    );
  });
}

function decodeLogs(request: LogsRequest): ExportedLog[] {
  return (request.resourceLogs ?? []).flatMap((resourceLogs) => {
    const resource = attributesOf(resourceLogs.resource?.attributes);
    return (resourceLogs.scopeLogs ?? []).flatMap((scope) =>
      (scope.logRecords ?? []).map((record) => ({
        body: valueOf(record.body),
        severityNumber: record.severityNumber ?? 0,
        severityText: record.severityText ?? "",
        traceId: record.traceId ?? "",
        spanId: record.spanId ?? "",
        attributes: attributesOf(record.attributes),
        resource,
      }))
    );
  });
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
  for (const { key, value } of list ?? []) attributes[key] = valueOf(value);
  return attributes;
}

function valueOf(value: AnyValue | undefined): AttributeValue {
  return value?.stringValue ?? value?.boolValue ?? value?.doubleValue ??
    (value?.intValue === undefined ? undefined : Number(value.intValue));
}

// OTLP's protobuf messages read into the shape OTLP/JSON gives them (ids as hex, camelCase names), so the receiver
// decodes both encodings with one set of readers. Field numbers are those of opentelemetry-proto's
// trace/v1, metrics/v1, logs/v1 and common/v1 `.proto` files; fields not listed here are skipped.

type Json = Record<string, unknown>;
type Fields = Map<number, (Uint8Array | bigint | number)[]>;

/** `ExportTraceServiceRequest` → `{ resourceSpans }`. */
export function traceRequestFromProtobuf(bytes: Uint8Array): Json {
  return {
    resourceSpans: messages(read(bytes), 1).map((resourceSpans) => ({
      resource: resource(resourceSpans),
      scopeSpans: messages(resourceSpans, 2).map((scopeSpans) => ({
        scope: scope(scopeSpans),
        spans: messages(scopeSpans, 2).map((span) => ({
          traceId: hex(span, 1),
          spanId: hex(span, 2),
          parentSpanId: hex(span, 4),
          name: text(span, 5),
          kind: Number(first(span, 6) ?? 0),
          attributes: keyValues(span, 9),
          events: messages(span, 11).map((event) => ({
            name: text(event, 2),
            attributes: keyValues(event, 3),
          })),
          links: messages(span, 13).map((link) => ({ traceId: hex(link, 1), spanId: hex(link, 2) })),
          status: { code: Number(messages(span, 15).map((status) => first(status, 3))[0] ?? 0) },
        })),
      })),
    })),
  };
}

/** `ExportMetricsServiceRequest` → `{ resourceMetrics }`, with sums, gauges and histograms. */
export function metricsRequestFromProtobuf(bytes: Uint8Array): Json {
  const numberPoint = (point: Fields) => ({
    attributes: keyValues(point, 7),
    asDouble: point.has(4) ? double(first(point, 4)) : undefined,
    asInt: point.has(6) ? String(first(point, 6)) : undefined,
  });
  return {
    resourceMetrics: messages(read(bytes), 1).map((resourceMetrics) => ({
      resource: resource(resourceMetrics),
      scopeMetrics: messages(resourceMetrics, 2).map((scopeMetrics) => ({
        scope: scope(scopeMetrics),
        metrics: messages(scopeMetrics, 2).map((metric) => ({
          name: text(metric, 1),
          unit: text(metric, 3),
          gauge: metric.has(5)
            ? { dataPoints: messages(messages(metric, 5)[0]!, 1).map(numberPoint) }
            : undefined,
          sum: metric.has(7)
            ? { dataPoints: messages(messages(metric, 7)[0]!, 1).map(numberPoint) }
            : undefined,
          histogram: metric.has(9)
            ? {
              dataPoints: messages(messages(metric, 9)[0]!, 1).map((point) => ({
                attributes: keyValues(point, 9),
                count: String(fixed64(first(point, 4))),
                sum: point.has(5) ? double(first(point, 5)) : undefined,
                bucketCounts: packedFixed64(point, 6).map(String),
                explicitBounds: packedDoubles(point, 7),
              })),
            }
            : undefined,
        })),
      })),
    })),
  };
}

/** `ExportLogsServiceRequest` → `{ resourceLogs }`. */
export function logsRequestFromProtobuf(bytes: Uint8Array): Json {
  return {
    resourceLogs: messages(read(bytes), 1).map((resourceLogs) => ({
      resource: resource(resourceLogs),
      scopeLogs: messages(resourceLogs, 2).map((scopeLogs) => ({
        scope: scope(scopeLogs),
        logRecords: messages(scopeLogs, 2).map((record) => ({
          severityNumber: Number(first(record, 2) ?? 0),
          severityText: text(record, 3),
          body: messages(record, 5).map(anyValue)[0],
          attributes: keyValues(record, 6),
          traceId: hex(record, 9),
          spanId: hex(record, 10),
        })),
      })),
    })),
  };
}

function resource(parent: Fields): Json {
  return { attributes: messages(parent, 1).flatMap((resource) => keyValues(resource, 1)) };
}

function scope(parent: Fields): Json | undefined {
  const found = messages(parent, 1)[0];
  return found === undefined ? undefined : { name: text(found, 1), version: text(found, 2) };
}

function keyValues(parent: Fields, field: number): Json[] {
  return messages(parent, field).map((pair) => ({
    key: text(pair, 1),
    value: messages(pair, 2).map(anyValue)[0],
  }));
}

function anyValue(value: Fields): Json {
  if (value.has(1)) return { stringValue: text(value, 1) };
  if (value.has(2)) return { boolValue: first(value, 2) !== 0n };
  if (value.has(3)) return { intValue: String(BigInt.asIntN(64, first(value, 3) as bigint)) };
  if (value.has(4)) return { doubleValue: double(first(value, 4)) };
  if (value.has(5)) return { arrayValue: { values: messages(messages(value, 5)[0]!, 1).map(anyValue) } };
  return {};
}

// The wire format: varints, 64-bit, length-delimited and 32-bit fields. Length-delimited values are kept as
// bytes and read as messages, strings or packed numbers by whoever knows the field.
function read(bytes: Uint8Array): Fields {
  const fields: Fields = new Map();
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;
  const varint = (): bigint => {
    let result = 0n;
    for (let shift = 0n;; shift += 7n) {
      const byte = bytes[at++];
      if (byte === undefined) throw new Error("truncated varint");
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
    }
  };
  while (at < bytes.length) {
    const key = Number(varint());
    const number = key >>> 3;
    let value: Uint8Array | bigint | number;
    switch (key & 7) {
      case 0:
        value = varint();
        break;
      case 1:
        value = view.getBigUint64(at, true);
        at += 8;
        break;
      case 2: {
        const length = Number(varint());
        value = bytes.subarray(at, at + length);
        at += length;
        break;
      }
      case 5:
        value = view.getUint32(at, true);
        at += 4;
        break;
      default:
        throw new Error(`unsupported wire type ${key & 7}`);
    }
    const list = fields.get(number) ?? [];
    list.push(value);
    fields.set(number, list);
  }
  return fields;
}

function first(fields: Fields, field: number) {
  return fields.get(field)?.[0];
}

function messages(fields: Fields, field: number): Fields[] {
  return (fields.get(field) ?? []).map((value) => read(value as Uint8Array));
}

function text(fields: Fields, field: number): string {
  const value = first(fields, field);
  return value === undefined ? "" : new TextDecoder().decode(value as Uint8Array);
}

function hex(fields: Fields, field: number): string {
  const value = first(fields, field) as Uint8Array | undefined;
  return value === undefined ? "" : [...value].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

// A double travels as 64 bits: reinterpret them.
function double(value: unknown): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setBigUint64(0, value as bigint, true);
  return view.getFloat64(0, true);
}

function fixed64(value: unknown): bigint {
  return value as bigint;
}

// Repeated fixed64 and double fields are packed: one length-delimited run of 8-byte values.
function packedFixed64(fields: Fields, field: number): bigint[] {
  return (fields.get(field) ?? []).flatMap((value) => {
    if (typeof value === "bigint") return [value];
    const bytes = value as Uint8Array;
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return Array.from({ length: bytes.length / 8 }, (_, index) => view.getBigUint64(index * 8, true));
  });
}

function packedDoubles(fields: Fields, field: number): number[] {
  return packedFixed64(fields, field).map(double);
}

// The few OpenTelemetry API calls this service makes, answered straight from the API's global registry: the
// object on `globalThis` where every copy of `@opentelemetry/api` keeps the registered tracer provider, context
// manager, propagator and meter provider. Our SDK (exporters.ts, through the API) and Deno's runtime
// OpenTelemetry both register there. Reading it here means the API package, which is CommonJS and brings Node
// compatibility with it (about 35 ms of start-up), loads only together with an SDK. With nothing registered
// (tracing off) every call is a no-op on constant objects.
import type {
  Context,
  ContextManager,
  Meter,
  MeterProvider,
  Span,
  SpanContext,
  SpanKind as ApiSpanKind,
  SpanOptions,
  SpanStatusCode as ApiSpanStatusCode,
  TextMapGetter,
  TextMapPropagator,
  Tracer,
  TracerProvider,
} from "@opentelemetry/api";

/** The API's registry key for major version 1 (`@opentelemetry/api`'s `global-utils`). */
const REGISTRY_KEY = Symbol.for("opentelemetry.js.api.1");
/** The API's key for the active span in a context (`trace/context-utils`). */
const SPAN_KEY = Symbol.for("OpenTelemetry Context Key SPAN");

interface Registry {
  readonly trace?: TracerProvider;
  readonly context?: ContextManager;
  readonly propagation?: TextMapPropagator;
  readonly metrics?: MeterProvider;
}

function registry(): Registry | undefined {
  return (globalThis as { [REGISTRY_KEY]?: Registry })[REGISTRY_KEY];
}

/** The API's `SpanKind` values this service uses. */
export const SpanKind = {
  INTERNAL: 0 as ApiSpanKind.INTERNAL,
  SERVER: 1 as ApiSpanKind.SERVER,
  CLIENT: 2 as ApiSpanKind.CLIENT,
} as const;

/** The API's `SpanStatusCode` values this service uses. */
export const SpanStatusCode = { ERROR: 2 as ApiSpanStatusCode.ERROR } as const;

// The API's own context: immutable, every change a copy. Used as the root while no context manager is registered.
class ImmutableContext implements Context {
  constructor(private readonly values: ReadonlyMap<symbol, unknown> = new Map()) {}
  getValue(key: symbol): unknown {
    return this.values.get(key);
  }
  setValue(key: symbol, value: unknown): Context {
    return new ImmutableContext(new Map(this.values).set(key, value));
  }
  deleteValue(key: symbol): Context {
    const values = new Map(this.values);
    values.delete(key);
    return new ImmutableContext(values);
  }
}

/** The empty context, which a trace with no caller's `traceparent` starts from. */
export const ROOT_CONTEXT: Context = new ImmutableContext();

const INVALID_SPAN_CONTEXT: SpanContext = {
  traceId: "00000000000000000000000000000000",
  spanId: "0000000000000000",
  traceFlags: 0,
};

/** What every span is while no tracer provider is registered: it records nothing and carries no ids. */
export const NOOP_SPAN: Span = {
  spanContext: () => INVALID_SPAN_CONTEXT,
  setAttribute: () => NOOP_SPAN,
  setAttributes: () => NOOP_SPAN,
  addEvent: () => NOOP_SPAN,
  addLink: () => NOOP_SPAN,
  addLinks: () => NOOP_SPAN,
  setStatus: () => NOOP_SPAN,
  updateName: () => NOOP_SPAN,
  end: () => {},
  isRecording: () => false,
  recordException: () => {},
};

/** A tracer that follows whichever provider is registered, even one registered after it was made. */
export function getTracer(name: string, version: string): Pick<Tracer, "startSpan"> {
  let provider: TracerProvider | undefined;
  let tracer: Tracer | undefined;
  return {
    startSpan(spanName: string, options?: SpanOptions, parent?: Context): Span {
      const current = registry()?.trace;
      if (current === undefined) return NOOP_SPAN;
      if (current !== provider) [provider, tracer] = [current, current.getTracer(name, version)];
      return tracer!.startSpan(spanName, options, parent);
    },
  };
}

/** The active context, and running work inside another: the registered context manager's, or none. */
export const context = {
  active(): Context {
    return registry()?.context?.active() ?? ROOT_CONTEXT;
  },
  with<T>(active: Context, work: () => T): T {
    const manager = registry()?.context;
    return manager === undefined ? work() : manager.with(active, work);
  },
};

/** The active span, and a context with a span, as the API keeps them. */
export const trace = {
  getActiveSpan: (): Span | undefined => context.active().getValue(SPAN_KEY) as Span | undefined,
  setSpan: (to: Context, span: Span): Context => to.setValue(SPAN_KEY, span),
};

const recordSetter = {
  set: (carrier: Record<string, string>, key: string, value: string) => void (carrier[key] = value),
};

/** Trace headers in and out, through the registered propagator; with none, nothing travels. */
export const propagation = {
  inject(from: Context, carrier: Record<string, string>): void {
    registry()?.propagation?.inject(from, carrier, recordSetter);
  },
  extract<Carrier>(into: Context, carrier: Carrier, getter: TextMapGetter<Carrier>): Context {
    return registry()?.propagation?.extract(into, carrier, getter) ?? into;
  },
};

/** The registered meter provider's meter, if any (Deno's, in runtime mode). */
export function registeredMeter(name: string, version: string): Meter | undefined {
  return registry()?.metrics?.getMeter(name, version);
}

/**
 * True when Deno's built-in OpenTelemetry runs (`OTEL_DENO=true`, and always on Deno Deploy): it registers its
 * providers, the ones `Deno.telemetry` exposes, before any of our code runs, and it exports what the console API
 * writes as log records.
 */
export function runtimeTelemetryActive(): boolean {
  const registered = registry()?.trace;
  return registered !== undefined && registered === Deno.telemetry?.tracerProvider;
}

const HEX_ID = /^[0-9a-f]+$/i;

/** The API's `isSpanContextValid`: hex ids of the right length, not all zeros. */
export function isSpanContextValid(spanContext: SpanContext): boolean {
  const { traceId, spanId } = spanContext;
  return traceId.length === 32 && HEX_ID.test(traceId) && traceId !== INVALID_SPAN_CONTEXT.traceId &&
    spanId.length === 16 && HEX_ID.test(spanId) && spanId !== INVALID_SPAN_CONTEXT.spanId;
}

const NOOP_INSTRUMENT = { add() {}, record() {}, addCallback() {}, removeCallback() {} };

/** A meter whose instruments keep nothing, for when nobody reads the metrics. */
export const NOOP_METER: Meter = {
  createGauge: () => NOOP_INSTRUMENT,
  createHistogram: () => NOOP_INSTRUMENT,
  createCounter: () => NOOP_INSTRUMENT,
  createUpDownCounter: () => NOOP_INSTRUMENT,
  createObservableGauge: () => NOOP_INSTRUMENT,
  createObservableCounter: () => NOOP_INSTRUMENT,
  createObservableUpDownCounter: () => NOOP_INSTRUMENT,
  addBatchObservableCallback() {},
  removeBatchObservableCallback() {},
};

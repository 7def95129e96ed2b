import type { Resource } from "@opentelemetry/resources";
// @ts-types="./otel_sdk.ts"
import { defaultResource, resourceFromAttributes } from "./otel_sdk.bundle.js";

const SERVICE_NAME = "okta-8x8-telephony-hook";

/** What every signal says about its source: OpenTelemetry's default resource, then ours, then the operator's. */
export function serviceResource(
  settings: { readonly serviceName?: string; readonly resourceAttributes: Readonly<Record<string, string>> } =
    {
      resourceAttributes: {},
    },
  version?: string,
): Resource {
  return defaultResource().merge(resourceFromAttributes({
    ...settings.resourceAttributes,
    "service.name": settings.serviceName ?? settings.resourceAttributes["service.name"] ?? SERVICE_NAME,
    ...(version === undefined ? {} : { "service.version": version }),
  }));
}

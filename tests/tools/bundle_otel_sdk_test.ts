// The OpenTelemetry SDK the service loads is one generated file: it must be exactly what the pinned packages give.
import assert from "node:assert/strict";
import { buildBundle } from "../../src/tools/bundle_otel_sdk.ts";

const BUNDLE = new URL("../../src/observability/otel_sdk.bundle.js", import.meta.url);
const denoJson = JSON.parse(Deno.readTextFileSync(new URL("../../deno.json", import.meta.url)));

Deno.test("[otel sdk bundle] the committed bundle is what `deno bundle` makes from the packages deno.lock pins", async () => {
  const committed = await Deno.readTextFile(BUNDLE);
  const fresh = await buildBundle();
  const committedLines = committed.split("\n");
  const firstDifference = fresh.split("\n").findIndex((line, index) => line !== committedLines[index]);
  assert.ok(
    committed === fresh,
    `line ${
      firstDifference + 1
    } differs: run \`deno task bundle:otel-sdk\` after changing an OpenTelemetry version`,
  );
});

Deno.test("[otel sdk bundle] it names every OpenTelemetry package deno.json pins at that version, and carries their licence", async () => {
  const header = (await Deno.readTextFile(BUNDLE)).split("\nvar ")[0]!;
  const pinned = Object.values(denoJson.imports as Record<string, string>)
    .filter((specifier) => specifier.startsWith("npm:@opentelemetry/"))
    .map((specifier) => specifier.slice("npm:".length));
  assert.ok(pinned.length >= 10);
  for (const pin of pinned) {
    assert.match(header, new RegExp(`^//   ${pin.replaceAll(".", "\\.")}$`, "m"), pin);
  }
  assert.match(await Deno.readTextFile(BUNDLE), /Apache License\s+Version 2\.0, January 2004/);
});

Deno.test("[otel sdk bundle] the bundle exports everything its typed source declares", async () => {
  const source = await import("../../src/observability/otel_sdk.ts");
  const bundle = await import("../../src/observability/otel_sdk.bundle.js");
  assert.deepEqual(Object.keys(bundle).sort(), Object.keys(source).sort());
});

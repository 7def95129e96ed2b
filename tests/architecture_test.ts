// The hexagon's rules, checked on the source itself: a pure core, one composition root, one reader of the environment.
import assert from "node:assert/strict";

const SRC = new URL("../src/", import.meta.url);

function sourceFiles(folder: URL): { path: string; text: string }[] {
  return [...Deno.readDirSync(folder)].flatMap((entry) => {
    const url = new URL(entry.name + (entry.isDirectory ? "/" : ""), folder);
    if (entry.isDirectory) return sourceFiles(url);
    if (!entry.name.endsWith(".ts")) return [];
    return [{ path: url.pathname.slice(SRC.pathname.length), text: Deno.readTextFileSync(url) }];
  });
}

const files = sourceFiles(SRC);
const importsOf = (text: string) =>
  [...text.matchAll(/^\s*(?:import|export)[^;]*?from\s+"([^"]+)"/gm)].map((m) => m[1]!);

Deno.test("[architecture] the domain imports only the domain", () => {
  const domain = files.filter((file) => file.path.startsWith("domain/"));
  assert.ok(domain.length >= 5);
  for (const file of domain) {
    for (const specifier of importsOf(file.text)) {
      assert.match(specifier, /^\.\/[\w]+\.ts$/, `${file.path} imports ${specifier}`);
    }
  }
});

Deno.test("[architecture] the domain knows nothing of Deno, HTTP, Okta, 8x8 or OpenTelemetry", () => {
  for (const file of files.filter((file) => file.path.startsWith("domain/"))) {
    assert.doesNotMatch(
      file.text,
      /\bDeno\.|\bfetch\(|\bnew (Request|Response|URL)\b|\bHeaders\b/,
      file.path,
    );
    assert.doesNotMatch(file.text, /okta|8x8|eight_?by_?eight|opentelemetry|zod|http/i, file.path);
  }
});

Deno.test("[architecture] only the config module reads the environment, and only main.ts and tools load config", () => {
  for (const file of files) {
    if (file.path !== "config.ts") assert.doesNotMatch(file.text, /Deno\.env|process\.env/, file.path);
    // Adapters may name config types; running the config module is for the entry points.
    const valueImports = file.text.replace(/^import type [^;]*;/gm, "");
    const loadsConfig = importsOf(valueImports).some((specifier) =>
      specifier.endsWith("/config.ts") || specifier === "./config.ts"
    );
    if (loadsConfig) {
      assert.ok(file.path === "main.ts" || file.path.startsWith("tools/"), `${file.path} imports config`);
    }
  }
});

Deno.test("[architecture] adapters never reach into main.ts", () => {
  for (const file of files.filter((file) => file.path.startsWith("adapters/"))) {
    assert.ok(!importsOf(file.text).some((specifier) => specifier.endsWith("main.ts")), file.path);
  }
});

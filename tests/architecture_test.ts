// The hexagon's rules, checked on the source itself: a pure core, rooms named for their counterparts, one
// composition root, one reader of the environment, no cycles.
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
/** The src-relative path an import of `from` resolves to, e.g. `okta/telephony_hook.ts`. */
const resolve = (from: string, specifier: string) =>
  new URL(specifier, new URL(from, SRC)).pathname.slice(SRC.pathname.length);
const roomOf = (path: string) => path.includes("/") ? path.split("/")[0]! : path;

// Which rooms each room may import. The entry points (main.ts, service.ts) may import anything.
const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  "domain": [],
  "config": ["domain", "observability"],
  "http": ["domain", "observability"],
  "observability": ["domain", "http", "version.ts"],
  "okta": ["domain", "http", "observability"],
  "eight_by_eight": ["domain", "http", "observability"],
  "stores": ["domain", "observability"],
  "receipts": ["domain", "http", "observability"],
  "phone_numbers": ["domain"],
  "sandbox": ["domain", "observability"],
  "tools": ["config", "okta"],
};
const ENTRY_POINTS = ["main.ts", "serve.ts", "service.ts", "version.ts"];

Deno.test("[architecture] src is at most two levels deep: src/<room>/<file>.ts, with the entry points at the top", () => {
  for (const file of files) {
    const parts = file.path.split("/");
    assert.ok(parts.length <= 2, file.path);
    if (parts.length === 1) assert.ok(ENTRY_POINTS.includes(file.path), `${file.path} belongs in a room`);
    else assert.ok(parts[0]! in ALLOWED, `${file.path} is in a room the architecture names`);
  }
});

Deno.test("[architecture] each room imports only the rooms it may; no adapter imports config", () => {
  for (const file of files) {
    const room = roomOf(file.path);
    if (ENTRY_POINTS.includes(room)) continue;
    for (const specifier of importsOf(file.text).filter((specifier) => specifier.startsWith("."))) {
      const target = roomOf(resolve(file.path, specifier));
      if (target === room) continue;
      assert.ok(ALLOWED[room]!.includes(target), `${file.path} imports ${specifier} (${room} → ${target})`);
    }
  }
});

Deno.test("[architecture] the domain knows nothing of Deno, HTTP, Okta, 8x8 or OpenTelemetry, and imports no package", () => {
  for (const file of files.filter((file) => file.path.startsWith("domain/"))) {
    for (const specifier of importsOf(file.text)) {
      assert.match(specifier, /^\.\/[\w]+\.ts$/, `${file.path} imports ${specifier}`);
    }
    assert.doesNotMatch(
      file.text,
      /\bDeno\.|\bfetch\(|\bnew (Request|Response|URL)\b|\bHeaders\b/,
      file.path,
    );
    assert.doesNotMatch(file.text, /okta|8x8|eight_?by_?eight|opentelemetry|zod|http/i, file.path);
  }
});

Deno.test("[architecture] no import cycles, type imports included", () => {
  const graph = new Map(files.map((file) => [
    file.path,
    importsOf(file.text).filter((specifier) => specifier.startsWith(".")).map((specifier) =>
      resolve(file.path, specifier)
    ),
  ]));
  const state = new Map<string, "visiting" | "done">();
  const cycles: string[] = [];
  const visit = (path: string, stack: string[]) => {
    state.set(path, "visiting");
    for (const next of graph.get(path) ?? []) {
      if (state.get(next) === "visiting") {
        cycles.push([...stack.slice(stack.indexOf(next)), next].join(" → "));
      } else if (!state.has(next)) visit(next, [...stack, next]);
    }
    state.set(path, "done");
  };
  for (const path of graph.keys()) if (!state.has(path)) visit(path, [path]);
  assert.deepEqual(cycles, []);
});

Deno.test("[architecture] only the config room reads the environment; only the entry points and tools load config", () => {
  for (const file of files) {
    if (!file.path.startsWith("config/")) {
      assert.doesNotMatch(file.text, /Deno\.env|process\.env/, file.path);
    }
    const loadsConfig = importsOf(file.text).some((specifier) =>
      specifier.startsWith(".") && resolve(file.path, specifier).startsWith("config/")
    );
    if (loadsConfig) {
      assert.ok(
        ["main.ts", "serve.ts", "service.ts"].includes(file.path) || file.path.startsWith("tools/"),
        `${file.path} imports config`,
      );
    }
  }
});

Deno.test("[architecture] nothing imports the entry points but the entry points", () => {
  for (const file of files.filter((file) => !ENTRY_POINTS.includes(file.path))) {
    for (const specifier of importsOf(file.text).filter((specifier) => specifier.startsWith("."))) {
      const target = resolve(file.path, specifier);
      assert.ok(target === "version.ts" || !ENTRY_POINTS.includes(target), `${file.path} imports ${target}`);
    }
  }
});

// What `deno info` says Deno loads before main.ts runs: static imports only (type imports and `import()` are not
// loaded then).
async function startUpModules(entry: string): Promise<string[]> {
  const output = await new Deno.Command(Deno.execPath(), { args: ["info", "--json", entry], stdout: "piped" })
    .output();
  const graph = JSON.parse(new TextDecoder().decode(output.stdout)) as {
    roots: string[];
    redirects: Record<string, string>;
    modules: { specifier: string; dependencies?: { code?: { specifier?: string }; isDynamic?: boolean }[] }[];
  };
  const modules = new Map(graph.modules.map((module) => [module.specifier, module]));
  const loaded = new Set<string>();
  const visit = (specifier: string) => {
    specifier = graph.redirects[specifier] ?? specifier;
    if (loaded.has(specifier)) return;
    loaded.add(specifier);
    if (!specifier.startsWith("file:")) return;
    for (const dependency of modules.get(specifier)?.dependencies ?? []) {
      if (!dependency.isDynamic && dependency.code?.specifier !== undefined) visit(dependency.code.specifier);
    }
  };
  visit(graph.roots[0]!);
  return [...loaded];
}

Deno.test("[architecture] start-up loads no OpenTelemetry package and no Node compatibility: they load with an SDK", async () => {
  // Each costs start-up time on every start (about 35 ms together), also with tracing off and on Deno Deploy,
  // where the runtime's own OpenTelemetry is reached through the API's global registry (observability/otel_api.ts).
  const packages = (await startUpModules(new URL("main.ts", SRC).pathname))
    .filter((specifier) => !specifier.startsWith("file:"))
    .map((specifier) => specifier.replace(/^npm:\/?/, "npm:").replace(/@[\d.]+(\/|$)/, "$1"));
  assert.deepEqual(packages.sort(), ["npm:libphonenumber-js/max", "npm:zod"]);
});

Deno.test("[architecture] with an SDK, OpenTelemetry's code comes from its one bundled file, not from the packages", async () => {
  // Loading the packages' many CommonJS files one by one took about 70 ms more of a start (docs/performance.md).
  for (const module of ["observability/exporters.ts", "observability/metrics_sdk.ts"]) {
    const loaded = await startUpModules(new URL(module, SRC).pathname);
    assert.deepEqual(loaded.filter((specifier) => specifier.startsWith("npm:")), [], module);
    assert.ok(loaded.some((specifier) => specifier.endsWith("/observability/otel_sdk.bundle.js")), module);
  }
});

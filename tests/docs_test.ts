// The documentation as a newcomer meets it: a short README that links every page, a configuration table that
// names exactly the variables the service reads, and a walk through the code whose files exist.
import assert from "node:assert/strict";
import { CONFIG_VARIABLES } from "../src/config/config.ts";

const ROOT = new URL("../", import.meta.url);
const read = (path: string) => Deno.readTextFileSync(new URL(path, ROOT));

Deno.test("[docs] the README is a front door under 10 KB that links every docs page and CONTRIBUTING.md", () => {
  const readme = read("README.md");
  assert.ok(new TextEncoder().encode(readme).length < 10 * 1024, `README.md is ${readme.length} bytes`);
  const pages = [...Deno.readDirSync(new URL("docs/", ROOT))].map((entry) => `docs/${entry.name}`);
  assert.ok(pages.length >= 8);
  for (const page of [...pages, "CONTRIBUTING.md"]) {
    assert.ok(readme.includes(`](${page})`), `README links ${page}`);
  }
});

Deno.test("[docs] the configuration table lists exactly the variables the schema reads", () => {
  const table = read("docs/configuration.md").split("\n").filter((line) => line.startsWith("| `"));
  const documented = new Set(
    table.flatMap((line) => [...line.split("|")[1]!.matchAll(/`([A-Z0-9_*]+)`/g)].map((m) => m[1]!)),
  );
  const read_ = new Set<string>(CONFIG_VARIABLES.map((name) => name.startsWith("OTEL_") ? "OTEL_*" : name));
  assert.deepEqual([...read_].filter((name) => !documented.has(name)), [], "read but not documented");
  assert.deepEqual([...documented].filter((name) => !read_.has(name)), [], "documented but not read");
});

Deno.test("[docs] every source file CONTRIBUTING.md names exists", () => {
  const text = read("CONTRIBUTING.md");
  const named = [...text.matchAll(/`((?:src\/)?[a-z_]+\/[a-z_]+\.ts)`/g)]
    .map((m) => m[1]!.replace(/^src\//, ""))
    .filter((path) => !path.startsWith("tests/"));
  assert.ok(named.length >= 15, `${named.length} files named`);
  for (const path of named) {
    assert.ok(Deno.statSync(new URL(`src/${path}`, ROOT)).isFile, path);
  }
});

// GitHub's heading anchors: lower case, punctuation but `-` and `_` dropped, spaces to `-`.
function anchorsOf(markdown: string): Set<string> {
  return new Set(
    markdown.split("\n").filter((line) => /^#{1,6} /.test(line)).map((line) =>
      line.replace(/^#+ /, "").trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, "").replace(/\s/g, "-")
    ),
  );
}

Deno.test("[docs] every link between the project's pages reaches a file, and a heading when it names one", () => {
  const pages = [
    "README.md",
    "CONTRIBUTING.md",
    "deploy/README.md",
    ...[...Deno.readDirSync(new URL("docs/", ROOT))].map((entry) => `docs/${entry.name}`),
  ];
  const broken: string[] = [];
  let checked = 0;
  for (const page of pages) {
    for (const [, target] of read(page).matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/.test(target!)) continue; // another site
      const [path, anchor] = target!.split("#") as [string, string | undefined];
      const file = path === "" ? new URL(page, ROOT) : new URL(path, new URL(page, ROOT));
      checked++;
      if (!exists(file)) {
        broken.push(`${page} → ${target}`);
        continue;
      }
      if (anchor !== undefined && file.pathname.endsWith(".md")) {
        if (!anchorsOf(Deno.readTextFileSync(file)).has(anchor)) broken.push(`${page} → ${target}`);
      }
    }
  }
  assert.ok(checked >= 40, `${checked} links checked`);
  assert.deepEqual(broken, []);
});

function exists(file: URL): boolean {
  try {
    Deno.statSync(file);
    return true;
  } catch {
    return false;
  }
}

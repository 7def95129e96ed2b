import assert from "node:assert/strict";
import { createBoundedMap } from "../../src/stores/bounded_map.ts";

Deno.test("[bounded map] holds at most its capacity and forgets the oldest inserted first", () => {
  const evicted: number[] = [];
  const map = createBoundedMap<number>(3, (value) => evicted.push(value));
  for (const [index, key] of ["a", "b", "c", "d", "e"].entries()) map.set(key, index);
  assert.equal(map.size, 3);
  assert.deepEqual([map.get("a"), map.get("b"), map.get("c"), map.get("e")], [undefined, undefined, 2, 4]);
  assert.deepEqual(evicted, [0, 1]);
});

Deno.test("[bounded map] updating a key keeps its place; a deleted and re-added key is not evicted by its old slot", () => {
  const map = createBoundedMap<string>(2);
  map.set("a", "1");
  map.set("a", "2"); // an update, not a new insertion
  map.set("b", "3");
  assert.deepEqual([map.get("a"), map.get("b"), map.size], ["2", "3", 2]);
  map.delete("a");
  map.set("c", "4"); // takes a's old slot
  map.set("a", "5"); // a again, in b's old slot: b goes
  assert.deepEqual([map.get("a"), map.get("b"), map.get("c")], ["5", undefined, "4"]);
  map.set("d", "6"); // c's slot comes round again: c goes, the newer a stays
  assert.deepEqual([map.get("a"), map.get("c"), map.get("d")], ["5", undefined, "6"]);
});

// The off-heap table under the memory stores, against a plain Map doing the same work.
import assert from "node:assert/strict";
import { createSlotTable } from "../../src/stores/slot_table.ts";

// A seeded generator, so a failure can be replayed.
function random(seed: number): () => number {
  return () => ((seed = Math.imul(seed ^ (seed >>> 15), 0x2c1b3c6d) + 0x6d2b79f5 | 0) >>> 0) / 2 ** 32;
}

Deno.test("[slot table] 200,000 random claims, finds and removals agree with a Map, through evictions and expiry", () => {
  const next = random(7);
  let clock = 0;
  let early = 0;
  const table = createSlotTable({
    budgetBytes: 500 * 64,
    maxKeyBytes: 24,
    payloadBytes: 4,
    now: () => clock,
    onEarlyEviction: () => early++,
  });
  const model = new Map<string, { slot: number; value: number; expiresAt: number }>();
  for (let step = 0; step < 200_000; step++) {
    clock += 1;
    const key = `key-${Math.floor(next() * 2_000)}`;
    const found = table.find(key);
    const known = model.get(key);
    if (
      known !== undefined && known.expiresAt > clock &&
      table.view.getUint32(table.payloadOffset(known.slot)) === known.value
    ) {
      assert.equal(found, known.slot, `${key} at step ${step}`);
    }
    if (found >= 0) {
      assert.equal(table.view.getUint32(table.payloadOffset(found)), model.get(key)?.value, key);
      if (next() < 0.1) {
        table.remove(found);
        model.delete(key);
      } else if (next() < 0.3) table.touch(found);
      continue;
    }
    const expiresAt = clock + Math.floor(next() * 3_000);
    const slot = table.claim(key, expiresAt);
    assert.ok(slot >= 0);
    const value = Math.floor(next() * 1e9);
    table.view.setUint32(table.payloadOffset(slot), value);
    // The slot's previous occupant, if any, is gone from the model too.
    for (const [other, entry] of model) if (entry.slot === slot) model.delete(other);
    model.set(key, { slot, value, expiresAt });
  }
  assert.ok(table.size <= table.capacity);
  assert.ok(early > 0, "the small budget forced early evictions");
  // Every live model entry is found where the model says, and nothing else is.
  for (const [key, entry] of model) {
    assert.equal(table.find(key), entry.expiresAt > clock ? entry.slot : -1, key);
  }
  assert.equal(table.find("never-claimed"), -1);
});

Deno.test("[slot table] keys longer than the limit are refused, not truncated", () => {
  const table = createSlotTable({ budgetBytes: 4_096, maxKeyBytes: 8, payloadBytes: 0, now: () => 0 });
  assert.equal(table.claim("123456789", 10), -1);
  assert.equal(table.find("123456789"), -1);
  assert.ok(table.claim("12345678", 10) >= 0);
  assert.ok(table.find("12345678") >= 0);
});

/** Settings for `createSlotTable`. */
export interface SlotTableOptions {
  /** The memory the table may use, in bytes: it is allocated once, at the start. */
  readonly budgetBytes: number;
  /** The longest key, in UTF-8 bytes; longer keys are refused by `claim`. */
  readonly maxKeyBytes: number;
  /** Bytes of payload each slot carries. */
  readonly payloadBytes: number;
  readonly now: () => number;
  /** Told when a slot is taken over while its entry had not expired: the budget forced an early eviction. */
  readonly onEarlyEviction?: () => void;
  /** Told of every entry that leaves, early or on time, with its slot. */
  readonly onRemove?: (slot: number) => void;
  /** Starts the index's hash, so nobody can choose keys that collide in advance. Default: random. */
  readonly hashSeed?: number;
}

/** Keyed fixed-size slots in one ArrayBuffer: see `createSlotTable`. */
export interface SlotTable {
  /** The slot of a live (unexpired) entry, or -1. */
  find(key: string): number;
  /** A slot for a key with no live entry (an expired one is replaced); payload zeroed. -1 if the key is too long. */
  claim(key: string, expiresAt: number): number;
  remove(slot: number): void;
  expiresAt(slot: number): number;
  setExpiresAt(slot: number, expiresAt: number): void;
  /** Marks a slot as used again, so the clock hand passes over it once before taking it. */
  touch(slot: number): void;
  /** Byte offset of a slot's payload in `bytes`. */
  payloadOffset(slot: number): number;
  readonly bytes: Uint8Array;
  readonly view: DataView;
  readonly capacity: number;
  readonly size: number;
}

// Slot layout: expiresAt f64 | key length u8 | flags u8 | key bytes | payload, padded to 8 bytes.
const EXPIRES = 0;
const KEY_LENGTH = 8;
const FLAGS = 9;
const KEY = 10;
const USED = 1;
const TOUCHED = 2;
// How many touched slots the clock hand may pass over before it takes one anyway: a flat cost per insert.
const MAX_SECOND_CHANCES = 32;

/**
 * Entries in fixed-size slots inside one ArrayBuffer, found through an open-addressing index: the memory is
 * the budget, allocated once, and the garbage collector never traces it, so the process's memory does not grow
 * with the entries' churn. A new entry takes the slot under a clock hand that goes round in order of
 * insertion; an expired occupant leaves quietly, a live one early (and `onEarlyEviction` is told), except that a
 * touched slot gets a second chance. Entries are found by their full key, never by a hash alone.
 */
export function createSlotTable(options: SlotTableOptions): SlotTable {
  const slotBytes = Math.ceil((KEY + options.maxKeyBytes + options.payloadBytes) / 8) * 8;
  // Each slot also costs up to 16 bytes of index: 4 bytes a place, 2 to 4 places a slot.
  const capacity = Math.max(1, Math.floor(options.budgetBytes / (slotBytes + 16)));
  const buffer = new ArrayBuffer(capacity * slotBytes);
  const bytes = new Uint8Array(buffer);
  const view = new DataView(buffer);
  // The index holds slot + 1 (0 is empty), at most half full so probes stay short.
  let indexSize = 1;
  while (indexSize < capacity * 2) indexSize *= 2;
  const index = new Int32Array(indexSize);
  const mask = indexSize - 1;
  const encoder = new TextEncoder();
  const scratch = new Uint8Array(options.maxKeyBytes * 3 + 4);
  const seed = options.hashSeed ?? crypto.getRandomValues(new Uint32Array(1))[0]!;
  let hand = 0;
  let size = 0;

  const base = (slot: number) => slot * slotBytes;
  const used = (slot: number) => (bytes[base(slot) + FLAGS]! & USED) !== 0;

  // The key's UTF-8 bytes in `scratch`; their length, or -1 when too long.
  function encode(key: string): number {
    const { read, written } = encoder.encodeInto(key, scratch);
    return read === key.length && written <= options.maxKeyBytes ? written : -1;
  }

  // FNV-1a over the key's bytes, from a per-table seed: numbers and user ids come from outside.
  function hashOf(length: number): number {
    let hash = 0x811c9dc5 ^ seed;
    for (let at = 0; at < length; at++) hash = Math.imul(hash ^ scratch[at]!, 0x01000193);
    return hash >>> 0;
  }

  function sameKey(slot: number, length: number): boolean {
    const start = base(slot);
    if (bytes[start + KEY_LENGTH] !== length) return false;
    for (let at = 0; at < length; at++) if (bytes[start + KEY + at] !== scratch[at]) return false;
    return true;
  }

  // The index position holding `slot`'s key, or of the empty place where it would go.
  function position(length: number): number {
    for (let at = hashOf(length) & mask;; at = (at + 1) & mask) {
      const entry = index[at]!;
      if (entry === 0 || sameKey(entry - 1, length)) return at;
    }
  }

  function hashOfSlot(slot: number): number {
    const start = base(slot);
    const length = bytes[start + KEY_LENGTH]!;
    scratch.set(bytes.subarray(start + KEY, start + KEY + length));
    return hashOf(length) & mask;
  }

  // Removes an index entry and shifts later ones back (linear probing's deletion), so no tombstones pile up.
  function unindex(hole: number): void {
    index[hole] = 0;
    for (let next = (hole + 1) & mask; index[next] !== 0; next = (next + 1) & mask) {
      const home = hashOfSlot(index[next]! - 1);
      // An entry whose home lies cyclically in (hole, next] is still reachable where it is.
      const reachable = hole <= next ? hole < home && home <= next : hole < home || home <= next;
      if (reachable) continue;
      index[hole] = index[next]!;
      index[next] = 0;
      hole = next;
    }
  }

  function remove(slot: number): void {
    const start = base(slot);
    const length = bytes[start + KEY_LENGTH]!;
    scratch.set(bytes.subarray(start + KEY, start + KEY + length));
    unindex(position(length));
    bytes[start + FLAGS] = 0;
    size--;
    options.onRemove?.(slot);
  }

  // The next slot for a new entry: free, expired, or the first untouched one within a few steps.
  function takeSlot(at: number): number {
    for (let chances = 0;; chances++) {
      const slot = hand;
      hand = (hand + 1) % capacity;
      if (!used(slot)) return slot;
      const flags = bytes[base(slot) + FLAGS]!;
      const expired = view.getFloat64(base(slot) + EXPIRES) <= at;
      if (!expired && (flags & TOUCHED) !== 0 && chances < MAX_SECOND_CHANCES) {
        bytes[base(slot) + FLAGS] = flags & ~TOUCHED;
        continue;
      }
      remove(slot);
      if (!expired) options.onEarlyEviction?.();
      return slot;
    }
  }

  return {
    find(key) {
      const length = encode(key);
      if (length < 0) return -1;
      const entry = index[position(length)]!;
      if (entry === 0) return -1;
      const slot = entry - 1;
      return view.getFloat64(base(slot) + EXPIRES) > options.now() ? slot : -1;
    },
    claim(key, expiresAt) {
      const first = encode(key);
      if (first < 0) return -1;
      // An expired entry of the same key is still indexed until its slot is taken: it goes now.
      const existing = index[position(first)]!;
      if (existing !== 0) remove(existing - 1);
      const slot = takeSlot(options.now());
      // Taking the slot may have used `scratch` for another key: encode again.
      const length = encode(key);
      const at = position(length);
      if (index[at] !== 0) throw new Error("the key is still in the table");
      const start = base(slot);
      bytes.fill(0, start, start + slotBytes);
      view.setFloat64(start + EXPIRES, expiresAt);
      bytes[start + KEY_LENGTH] = length;
      bytes[start + FLAGS] = USED;
      bytes.set(scratch.subarray(0, length), start + KEY);
      index[at] = slot + 1;
      size++;
      return slot;
    },
    remove,
    expiresAt: (slot) => view.getFloat64(base(slot) + EXPIRES),
    setExpiresAt: (slot, expiresAt) => view.setFloat64(base(slot) + EXPIRES, expiresAt),
    touch(slot) {
      bytes[base(slot) + FLAGS] = bytes[base(slot) + FLAGS]! | TOUCHED;
    },
    payloadOffset: (slot) => base(slot) + KEY + options.maxKeyBytes,
    bytes,
    view,
    capacity,
    get size() {
      return size;
    },
  };
}

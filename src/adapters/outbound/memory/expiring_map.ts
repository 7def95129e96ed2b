/** A value that knows when it may be forgotten (milliseconds on the map's clock). */
export interface Expiring {
  expiresAt: number;
}

/** A Map whose entries leave when they expire, or earlier only when its owner makes room. */
export interface ExpiringMap<V extends Expiring> {
  /** The live value, or undefined once it has expired. */
  get(key: string): V | undefined;
  /** Adds or replaces; a later `expiresAt` on the value keeps it longer. */
  set(key: string, value: V): void;
  delete(key: string): void;
  /** Removes the entry due to expire first, before its time; false when there is none. */
  evictOldest(): boolean;
  readonly size: number;
  values(): IterableIterator<V>;
}

/** Settings for `createExpiringMap`. */
export interface ExpiringMapOptions<V> {
  readonly now: () => number;
  /** Told of every entry removed before its time by `evictOldest`: to log and count budget pressure. */
  readonly onEarlyEviction?: (value: V) => void;
  /** Told of every entry removed, early or on time. */
  readonly onRemove?: (value: V) => void;
}

/**
 * Expiry by time at O(1) amortised per operation. Keys wait in a queue in the order they were added; each
 * operation looks at the front of the queue and drops what has expired. An entry whose expiry was pushed back
 * since it was queued goes to the back again, so the queue stays close to expiry order without sorting.
 */
export function createExpiringMap<V extends Expiring>(options: ExpiringMapOptions<V>): ExpiringMap<V> {
  const { now } = options;
  const entries = new Map<string, V>();
  const queue = createQueue();

  function remove(key: string, value: V, early: boolean): void {
    entries.delete(key);
    options.onRemove?.(value);
    if (early) options.onEarlyEviction?.(value);
  }

  // A few steps of housekeeping per call keeps the cost flat; a burst of expiries is spread over later calls.
  function sweep(at: number): void {
    for (let step = 0; step < 4 && queue.length > 0 && queue.peekTime() <= at; step++) {
      const key = queue.shift();
      const value = entries.get(key);
      if (value === undefined) continue; // deleted since it was queued
      if (value.expiresAt <= at) remove(key, value, false);
      else queue.push(key, value.expiresAt);
    }
  }

  function evictOldest(): boolean {
    while (queue.length > 0) {
      const key = queue.shift();
      const value = entries.get(key);
      if (value !== undefined) {
        remove(key, value, value.expiresAt > now());
        return true;
      }
    }
    return false;
  }

  return {
    get(key) {
      const at = now();
      sweep(at);
      const value = entries.get(key);
      return value === undefined || value.expiresAt <= at ? undefined : value;
    },
    set(key, value) {
      sweep(now());
      if (!entries.has(key)) queue.push(key, value.expiresAt);
      entries.set(key, value);
    },
    delete: (key) => void entries.delete(key),
    evictOldest,
    get size() {
      return entries.size;
    },
    values: () => entries.values(),
  };
}

/** A first-in first-out queue of keys with their expiry times, in two growable rings. */
function createQueue() {
  let keys: string[] = new Array(1024);
  let times = new Float64Array(1024);
  let head = 0;
  let length = 0;
  return {
    get length() {
      return length;
    },
    peekTime: () => times[head]!,
    shift(): string {
      const key = keys[head]!;
      keys[head] = undefined as unknown as string; // let the string go
      head = (head + 1) % keys.length;
      length--;
      return key;
    },
    push(key: string, time: number): void {
      if (length === keys.length) {
        const order = Array.from({ length }, (_, index) => (head + index) % keys.length);
        keys = [...order.map((index) => keys[index]!), ...new Array<string>(length)];
        const grown = new Float64Array(length * 2);
        order.forEach((index, to) => (grown[to] = times[index]!));
        times = grown;
        head = 0;
      }
      const tail = (head + length) % keys.length;
      keys[tail] = key;
      times[tail] = time;
      length++;
    },
  };
}

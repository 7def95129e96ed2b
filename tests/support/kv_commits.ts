/**
 * The same Deno KV database, with a count of the atomic commits made through it: every operation still goes to
 * the real database, so a test can say how many writes a store makes for one request.
 */
export function countingCommits(kv: Deno.Kv): { readonly kv: Deno.Kv; commits: number } {
  const counter = { kv, commits: 0 };
  counter.kv = new Proxy(kv, {
    get(target, name) {
      const value = Reflect.get(target, name, target);
      if (name !== "atomic") return typeof value === "function" ? value.bind(target) : value;
      return () => {
        const atomic = target.atomic();
        const commit = atomic.commit.bind(atomic);
        atomic.commit = () => (counter.commits++, commit());
        return atomic;
      };
    },
  });
  return counter;
}

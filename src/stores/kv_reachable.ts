/** True when one read of the database answers within `timeoutMs`; false when it fails or takes longer. */
export async function kvReachable(kv: Deno.Kv, timeoutMs = 1_000): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
  try {
    return await Promise.race([kv.get(["readiness"]).then(() => true), late]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

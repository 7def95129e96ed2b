// `deno serve --parallel src/serve.ts`: the same service on every CPU core, one instance per worker, all on one
// port. The instances share nothing in memory, so they need STATE_STORE=kv: in memory, each worker would keep
// its own replays and rate limits. Deno serve owns the listener; `deno task start` (main.ts) remains the way to
// run one instance with its own graceful stop.
import { prepare } from "./main.ts";

const { config, logger, handler } = await prepare();
// deno serve picks the address (0.0.0.0:8000 unless --host, --port or DENO_SERVE_ADDRESS say otherwise), so the
// sandbox's loopback guard cannot hold here: it answers every passcode SUCCESSFUL and sends none.
if (config.provider.kind === "sandbox") {
  console.error(
    "Configuration problems:\n  - no EIGHTBYEIGHT_ settings: the sandbox runs only with `deno task start`, on loopback",
  );
  Deno.exit(1);
}
if (config.replays.kind === "memory") {
  logger.warn("config_warning", {
    message: "deno serve --parallel runs one instance per core: with STATE_STORE=memory each keeps its own " +
      "replays and rate limits; set STATE_STORE=kv to share them",
  });
}

export default { fetch: handler } satisfies Deno.ServeDefaultExport;

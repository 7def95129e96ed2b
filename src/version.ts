import denoJson from "../deno.json" with { type: "json" };

/** This build's version, from `deno.json`: in `/healthz`, `--version`, traces and metrics. */
export const VERSION: string = denoJson.version;

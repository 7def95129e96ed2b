// tests/contracts/ holds copies of the shared contract files, so a clone can test on its own.
// Where the shared originals sit beside the repository, the copies must not drift from them.
import assert from "node:assert/strict";

const COPIES = new URL("./contracts/", import.meta.url);
const ORIGINALS = new URL("../../shared/contracts/", import.meta.url);
const FILES = [
  "okta/request-sms-preview.json",
  "okta/response-error.json",
  "okta/response-successful.json",
  "okta/telephony-hook.openapi-extract.yaml",
  "8x8/sms_api.json",
  "8x8/common_models.json",
  "8x8/voice_v1_api.json",
];

function exists(url: URL): boolean {
  try {
    return Deno.statSync(url).isDirectory;
  } catch {
    return false;
  }
}

Deno.test({
  name: "[contracts] the copies under tests/contracts match ../shared/contracts byte for byte",
  ignore: !exists(ORIGINALS),
  fn() {
    for (const file of FILES) {
      assert.equal(
        Deno.readTextFileSync(new URL(file, COPIES)),
        Deno.readTextFileSync(new URL(file, ORIGINALS)),
        `${file} differs from the shared contract`,
      );
    }
  },
});

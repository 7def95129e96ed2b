// Abuse protection seen from Okta's side: refusals answer FAILED with their reason and never reach 8x8.
import assert from "node:assert/strict";
import { createKvRateLimiter } from "../../src/stores/kv_rate_limiter.ts";
import type { Environment } from "../../src/config/config.ts";
import { oktaRequest, signInRequest } from "../support/okta_requests.ts";
import { actionOf, startService, withService } from "../support/service.ts";
import { seriesValue } from "../support/prometheus.ts";

// A user's sign-in, not an Admin Console preview: the full rules apply.
function signIn(changes: Record<string, unknown>, eventId: string): string {
  return JSON.stringify(signInRequest(changes, eventId));
}

Deno.test("[abuse] destination rules refuse without a call to 8x8, for SMS and voice alike", async (t) => {
  const env: Environment = { ALLOWED_COUNTRIES: "US,SG,GB", BLOCKED_COUNTRIES: "GB" };
  await withService({ env, voice: true }, async (service) => {
    const cases = [
      [
        "+44 outside US,SG",
        { phoneNumber: "+447400123456" },
        "reason=country_not_allowed, rule=blocked_countries",
      ],
      ["+1555 invalid", { phoneNumber: "+15551234567" }, "reason=number_invalid, rule=numbering_plan"],
      [
        "US premium rate",
        { phoneNumber: "+19005551234" },
        "reason=number_type_not_allowed, rule=premium_rate",
      ],
      ["France", { phoneNumber: "+33612345678" }, "reason=country_not_allowed, rule=allowed_countries"],
      [
        "voice to +44",
        { phoneNumber: "+447400123456", deliveryChannel: "voice call" },
        "reason=country_not_allowed, rule=blocked_countries",
      ],
    ] as const;
    for (const [name, changes, metadata] of cases) {
      await t.step(name, async () => {
        const action = await actionOf(
          await service.post(signIn(changes, `evt-${name.replaceAll(" ", "-")}`)),
        );
        assert.equal(action.status, "FAILED");
        assert.equal(action.provider, "none");
        assert.equal(action.transactionMetadata, metadata);
      });
    }
    assert.equal(service.fake.requests.length, 0);
    // A US mobile still goes through.
    const allowed = await actionOf(await service.post(signIn({ phoneNumber: "+14155552671" }, "evt-us")));
    assert.equal(allowed.status, "SUCCESSFUL");
  });
});

Deno.test("[abuse] ALLOWED_COUNTRIES=US,SG refuses a +44 number without an 8x8 call", () =>
  withService({ env: { ALLOWED_COUNTRIES: "US,SG" } }, async (service) => {
    const action = await actionOf(await service.post(signIn({ phoneNumber: "+447400123456" }, "evt-44")));
    assert.equal(action.transactionMetadata, "reason=country_not_allowed, rule=allowed_countries");
    assert.equal(service.fake.requests.length, 0);
  }));

Deno.test("[abuse] RATE_LIMIT_PER_NUMBER=3/10m: the 4th and 5th requests are refused and 8x8 sees 3 sends", () =>
  withService({ env: { RATE_LIMIT_PER_NUMBER: "3/10m" } }, async (service) => {
    const statuses = [];
    for (let index = 0; index < 5; index++) {
      const action = await actionOf(
        await service.post(signIn({ phoneNumber: "+14155552671" }, `evt-rate-${index}`)),
      );
      statuses.push(action.status === "FAILED" ? action.transactionMetadata : action.status);
    }
    assert.deepEqual(statuses, [
      "SUCCESSFUL",
      "SUCCESSFUL",
      "SUCCESSFUL",
      "reason=rate_limited, rule=per_number",
      "reason=rate_limited, rule=per_number",
    ]);
    assert.equal(service.fake.requests.length, 3);
    // Other numbers are not affected.
    const other = await actionOf(
      await service.post(signIn({ phoneNumber: "+6591234567" }, "evt-rate-other")),
    );
    assert.equal(other.status, "SUCCESSFUL");
    // Refusals are counted for operators, and logged with the masked number and the rule.
    const metrics = await service.metrics();
    const count = (labels: Record<string, string>) => seriesValue(metrics, "otp_deliveries_total", labels);
    assert.equal(
      count({ channel: "sms", outcome: "failed", reason: "rate_limited", country_calling_code: "1" }),
      2,
    );
    // Counted by destination country calling code: three to +1, one to +65.
    assert.equal(count({ channel: "sms", outcome: "delivered", country_calling_code: "1" }), 3);
    assert.equal(count({ channel: "sms", outcome: "delivered", country_calling_code: "65" }), 1);
    const refusals = service.logLines.filter((line) => line.includes(`"reason":"rate_limited"`));
    assert.equal(refusals.length, 2);
    for (const line of refusals) {
      assert.match(line, /"destination":"\+1\*\*\*\*\*\*2671".*"rule":"per_number"/);
      assert.ok(!line.includes("4155552671"));
    }
  }));

Deno.test("[abuse] the limits hold across two instances sharing one Deno KV store", async () => {
  const folder = await Deno.makeTempDir({ prefix: "limits-kv-" });
  const kvs = [await Deno.openKv(`${folder}/limits.sqlite`), await Deno.openKv(`${folder}/limits.sqlite`)];
  const env: Environment = { RATE_LIMIT_PER_NUMBER: "3/10m" };
  const one = startService({ env, limiter: createKvRateLimiter(kvs[0]!, { subjectKey: "k" }) });
  const two = startService({
    env,
    limiter: createKvRateLimiter(kvs[1]!, { subjectKey: "k" }),
    fake: one.fake,
  });
  try {
    const answers = await Promise.all(
      Array.from(
        { length: 5 },
        (_, index) =>
          (index % 2 === 0 ? one : two).post(signIn({ phoneNumber: "+14155552671" }, `evt-kv-${index}`)),
      ),
    );
    const statuses = await Promise.all(answers.map(async (answer) => (await actionOf(answer)).status));
    assert.equal(statuses.filter((status) => status === "SUCCESSFUL").length, 3);
    assert.equal(statuses.filter((status) => status === "FAILED").length, 2);
    assert.equal(one.fake.requests.length, 3);
    // The shared database holds no phone number, only keyed hashes.
    const keys = [];
    for await (const entry of kvs[0]!.list({ prefix: [] })) keys.push(JSON.stringify(entry.key));
    assert.ok(keys.length > 0 && keys.every((key) => !key.includes("4155552671")), keys.join());
  } finally {
    await two.close();
    await one.close();
    for (const kv of kvs) kv.close();
    await Deno.remove(folder, { recursive: true });
  }
});

Deno.test("[abuse] per-user and per-country caps", async (t) => {
  await t.step("per user", () =>
    withService({ env: { RATE_LIMIT_PER_USER: "2/1h" } }, async (service) => {
      const numbers = ["+14155552671", "+14155552672", "+14155552673"];
      const statuses = [];
      for (const [index, phoneNumber] of numbers.entries()) {
        statuses.push(
          (await actionOf(await service.post(signIn({ phoneNumber }, `evt-user-${index}`)))).status,
        );
      }
      assert.deepEqual(statuses, ["SUCCESSFUL", "SUCCESSFUL", "FAILED"]);
    }));
  await t.step(
    "per country calling code",
    () =>
      withService({ env: { RATE_LIMIT_PER_COUNTRY: "2/1m" } }, async (service) => {
        const numbers = ["+6591234567", "+6591234568", "+6591234569", "+14155552671"];
        const statuses = [];
        for (const [index, phoneNumber] of numbers.entries()) {
          statuses.push(
            (await actionOf(await service.post(signIn({ phoneNumber }, `evt-cc-${index}`)))).status,
          );
        }
        assert.deepEqual(statuses, ["SUCCESSFUL", "SUCCESSFUL", "FAILED", "SUCCESSFUL"]);
      }),
  );
});

Deno.test("[abuse] satellite and international networks are refused by default; a calling code can be named", async (t) => {
  const numbers = { iridium: "+881612345678", inmarsat: "+870773111632", "+883": "+883140000000" };
  await t.step("refused by default, without a call to 8x8", () =>
    withService({}, async (service) => {
      for (const [name, phoneNumber] of Object.entries(numbers)) {
        const action = await actionOf(await service.post(signIn({ phoneNumber }, `evt-sat-${name}`)));
        assert.equal(
          action.transactionMetadata,
          "reason=country_not_allowed, rule=international_network",
          name,
        );
      }
      assert.equal(service.fake.requests.length, 0);
    }));
  await t.step(
    "ALLOWED_COUNTRIES=US,+881 lets Iridium through, and nothing else of them",
    () =>
      withService({ env: { ALLOWED_COUNTRIES: "US,+881" } }, async (service) => {
        const iridium = await actionOf(
          await service.post(signIn({ phoneNumber: numbers.iridium }, "evt-sat-ok")),
        );
        assert.equal(iridium.status, "SUCCESSFUL");
        const inmarsat = await actionOf(
          await service.post(signIn({ phoneNumber: numbers.inmarsat }, "evt-sat-no")),
        );
        assert.equal(inmarsat.transactionMetadata, "reason=country_not_allowed, rule=allowed_countries");
      }),
  );
  await t.step(
    "BLOCKED_COUNTRIES takes calling codes too: +44 refuses the UK",
    () =>
      withService({ env: { BLOCKED_COUNTRIES: "+44" } }, async (service) => {
        const uk = await actionOf(await service.post(signIn({ phoneNumber: "+447400123456" }, "evt-cc-44")));
        assert.equal(uk.transactionMetadata, "reason=country_not_allowed, rule=blocked_countries");
      }),
  );
});

Deno.test("[abuse] a passcode that expired before it could be sent fails as otp_expired, with no SMS", () =>
  withService({}, async (service) => {
    const past = new Date(Date.now() - 1_000).toISOString();
    const expired = await actionOf(await service.post(signIn({ otpExpires: past }, "evt-expired")));
    assert.equal(expired.status, "FAILED");
    assert.equal(expired.transactionMetadata, "reason=otp_expired");
    assert.equal(service.fake.requests.length, 0);
    // Okta's Admin Console preview carries its sample's old date, and is still sent.
    const preview = await actionOf(
      await service.post(JSON.stringify(oktaRequest({}, "evt-preview-old-date"))),
    );
    assert.equal(preview.status, "SUCCESSFUL");
  }));

Deno.test("[abuse] a number without + is not sent on a guess; NATIONAL_NUMBER_REGION says whose format it is", async (t) => {
  await t.step("refused without the setting, with no call to 8x8", () =>
    withService({}, async (service) => {
      const action = await actionOf(await service.post(signIn({ phoneNumber: "6469742749" }, "evt-bare")));
      assert.equal(action.transactionMetadata, "reason=number_invalid, rule=no_country_code");
      assert.equal(service.fake.requests.length, 0);
    }));
  await t.step(
    "NATIONAL_NUMBER_REGION=US sends it to New York",
    () =>
      withService({ env: { NATIONAL_NUMBER_REGION: "US" } }, async (service) => {
        const action = await actionOf(
          await service.post(signIn({ phoneNumber: "6469742749" }, "evt-bare-us")),
        );
        assert.equal(action.status, "SUCCESSFUL");
        assert.equal((service.fake.requests[0]!.body as { destination: string }).destination, "+16469742749");
      }),
  );
  await t.step(
    "Okta's preview, with its placeholder digits, still goes through",
    () =>
      withService({}, async (service) => {
        const action = await actionOf(
          await service.post(JSON.stringify(oktaRequest({}, "evt-bare-preview"))),
        );
        assert.equal(action.status, "SUCCESSFUL");
      }),
  );
});

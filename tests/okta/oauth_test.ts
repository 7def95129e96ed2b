// Okta's OAuth 2.0 hook authentication, against a local issuer whose keys are generated here.
import assert from "node:assert/strict";
import { exportSPKI, generateKeyPair, SignJWT } from "jose";
import { createOAuthBearerAuth } from "../../src/okta/oauth_bearer.ts";
import { type FakeIssuer, startFakeIssuer } from "../fakes/oauth_issuer.ts";
import { PREVIEW_SAMPLE_TEXT } from "../support/okta_requests.ts";
import { startService } from "../support/service.ts";

const SCOPE = "okta.telephony.hook";
const CLIENT = "0oahookclient";

async function withIssuer(test: (issuer: FakeIssuer) => Promise<void>): Promise<void> {
  const issuer = await startFakeIssuer();
  try {
    await test(issuer);
  } finally {
    await issuer.close();
  }
}

function authFor(issuer: FakeIssuer, refetchCooldownMs?: number) {
  return createOAuthBearerAuth({
    issuer: issuer.issuer,
    audience: issuer.audience,
    scope: SCOPE,
    clientId: CLIENT,
    refetchCooldownMs,
  });
}

const bearer = (token: string) => new Headers({ authorization: `Bearer ${token}` });
const base64url = (value: unknown) =>
  btoa(JSON.stringify(value)).replaceAll("=", "").replaceAll("+", "-").replaceAll("/", "_");

Deno.test("[oauth] a valid token from the issuer, with the audience, scope and client id, is accepted", () =>
  withIssuer(async (issuer) => {
    const auth = authFor(issuer);
    assert.deepEqual(await auth.verify(bearer(await issuer.token())), { ok: true });
    // The scheme is case-insensitive (RFC 9110).
    const token = await issuer.token();
    assert.deepEqual(await auth.verify(new Headers({ authorization: `bearer ${token}` })), { ok: true });
    assert.deepEqual(await auth.verify(new Headers({ authorization: `BEARER ${token}` })), { ok: true });
    // Okta may send scp as a space-separated string too.
    assert.deepEqual(await auth.verify(bearer(await issuer.token({ scp: `openid ${SCOPE}` }))), { ok: true });
  }));

Deno.test("[oauth] every invalid token is refused with a stable reason", async (t) => {
  await withIssuer(async (issuer) => {
    const auth = authFor(issuer);
    const now = Math.floor(Date.now() / 1000);
    const stranger = await generateKeyPair("RS256");
    const publicPem = await exportSPKI((await generateKeyPair("RS256")).publicKey);
    const claims = { iss: issuer.issuer, aud: issuer.audience, scp: [SCOPE], cid: CLIENT, exp: now + 300 };
    const cases: [string, () => Promise<string>, string][] = [
      ["expired", () => issuer.token({}, { expiresIn: "-5m" }), "token_expired"],
      ["not yet valid", () => issuer.token({ nbf: now + 600 }), "bad_claim_nbf"],
      ["issued a year ahead", () => issuer.token({ iat: now + 365 * 86_400 }), "bad_claim_iat"],
      ["wrong issuer", () => issuer.token({ iss: "https://evil.example/oauth2/default" }), "bad_claim_iss"],
      ["wrong audience", () => issuer.token({ aud: "api://something-else" }), "bad_claim_aud"],
      ["missing scope", () => issuer.token({ scp: ["openid"] }), "missing_scope"],
      ["wrong client id", () => issuer.token({ cid: "0oaother" }), "wrong_client"],
      [
        "another key's signature",
        () => issuer.token({}, { privateKey: stranger.privateKey }),
        "bad_signature",
      ],
      [
        "alg none",
        () => Promise.resolve(`${base64url({ alg: "none", typ: "JWT" })}.${base64url(claims)}.`),
        "algorithm_not_allowed",
      ],
      [
        "HS256 signed with the public key",
        () =>
          new SignJWT(claims).setProtectedHeader({ alg: "HS256", kid: "key-1" }).sign(
            new TextEncoder().encode(publicPem),
          ),
        "algorithm_not_allowed",
      ],
      ["unknown kid", () => issuer.token({}, { kid: "key-99" }), "unknown_key"],
      ["garbage bearer", () => Promise.resolve("not.a.jwt"), "malformed_token"],
    ];
    for (const [name, makeToken, reason] of cases) {
      await t.step(
        name,
        async () => assert.deepEqual(await auth.verify(bearer(await makeToken())), { ok: false, reason }),
      );
    }
    await t.step("no bearer at all", async () => {
      assert.deepEqual(await auth.verify(new Headers()), { ok: false, reason: "no_bearer_token" });
      assert.deepEqual(await auth.verify(new Headers({ authorization: "Basic dXNlcjpwYXNz" })), {
        ok: false,
        reason: "no_bearer_token",
      });
    });
  });
});

Deno.test("[oauth] keys are cached: start-up and twenty valid calls fetch the JWKS once", () =>
  withIssuer(async (issuer) => {
    const auth = authFor(issuer);
    await auth.ready;
    for (let call = 0; call < 20; call++) {
      assert.equal((await auth.verify(bearer(await issuer.token()))).ok, true);
    }
    assert.equal(issuer.keyFetches(), 1);
  }));

Deno.test("[oauth] a flood of unknown kids refetches the keys at most once per cooldown", () =>
  withIssuer(async (issuer) => {
    const auth = authFor(issuer);
    await auth.ready;
    for (let call = 0; call < 20; call++) {
      assert.equal((await auth.verify(bearer(await issuer.token({}, { kid: `bogus-${call}` })))).ok, false);
    }
    assert.ok(issuer.keyFetches() <= 2, `${issuer.keyFetches()} key fetches`);
  }));

Deno.test("[oauth] a rotated key is picked up without a restart", () =>
  withIssuer(async (issuer) => {
    const auth = authFor(issuer, 0);
    await auth.ready;
    assert.equal((await auth.verify(bearer(await issuer.token()))).ok, true);
    await issuer.rotate();
    assert.deepEqual(await auth.verify(bearer(await issuer.token())), { ok: true });
    assert.equal(issuer.keyFetches(), 2);
  }));

Deno.test("[oauth] without the metadata document the keys are found at {issuer}/v1/keys", () =>
  withIssuer(async (issuer) => {
    issuer.hideMetadata();
    const outcomes: { ok: boolean; jwksUri: string }[] = [];
    const auth = createOAuthBearerAuth({
      issuer: issuer.issuer,
      audience: issuer.audience,
      onDiscovery: (outcome) => outcomes.push(outcome),
    });
    await auth.ready;
    assert.equal((await auth.verify(bearer(await issuer.token()))).ok, true);
    assert.equal(outcomes[0]?.jwksUri, `${issuer.issuer}/v1/keys`);
  }));

Deno.test("[oauth] an unreachable issuer is reported at start, and tokens are refused, never accepted", async () => {
  const issuer = await startFakeIssuer();
  const token = await issuer.token();
  await issuer.close();
  const outcomes: { ok: boolean; detail?: string }[] = [];
  const auth = createOAuthBearerAuth({
    issuer: issuer.issuer,
    audience: issuer.audience,
    onDiscovery: (outcome) => outcomes.push(outcome),
  });
  await auth.ready;
  assert.equal(outcomes[0]?.ok, false);
  assert.equal((await auth.verify(bearer(token))).ok, false);
});

Deno.test("[oauth] a key endpoint down from the start: a flood of tokens fetches once per cooldown, and says why", () =>
  withIssuer(async (issuer) => {
    issuer.failKeys(true);
    const auth = authFor(issuer);
    await auth.ready;
    const reasons = new Set<string>();
    for (let call = 0; call < 200; call++) {
      const token = await issuer.token({}, call % 2 ? { kid: `forged-${call}` } : {});
      const decision = await auth.verify(bearer(token));
      reasons.add(decision.ok ? "accepted" : decision.reason);
    }
    assert.deepEqual(
      [...reasons],
      ["keys_unavailable"],
      "a valid token is refused for the outage, not as malformed",
    );
    assert.equal(issuer.keyFetches(), 1, "the start-up fetch only: the cooldown holds every other");
  }));

Deno.test("[oauth] the last good keys keep serving through an outage, and forged kids do not hammer the issuer", () =>
  withIssuer(async (issuer) => {
    const outages: string[] = [];
    const auth = createOAuthBearerAuth({
      issuer: issuer.issuer,
      audience: issuer.audience,
      refetchCooldownMs: 60_000,
      onKeysOutage: ({ detail }) => outages.push(detail),
    });
    await auth.ready;
    issuer.failKeys(true);
    for (let call = 0; call < 100; call++) {
      assert.deepEqual(await auth.verify(bearer(await issuer.token())), { ok: true });
      const forged = await auth.verify(bearer(await issuer.token({}, { kid: `forged-${call}` })));
      assert.equal(forged.ok, false);
    }
    assert.equal(issuer.keyFetches(), 1, "within the cooldown, no forged kid causes a fetch");
    assert.deepEqual(outages, []);
  }));

Deno.test("[oauth hook] with OAuth configured: a valid token delivers; the header secret and bad tokens get 401", () =>
  withIssuer(async (issuer) => {
    const service = startService({
      env: {
        OKTA_AUTH_SECRET: undefined,
        OKTA_AUTH_SECRET_PREVIOUS: undefined,
        OKTA_OAUTH_ISSUER: issuer.issuer,
        OKTA_OAUTH_AUDIENCE: issuer.audience,
        OKTA_OAUTH_SCOPE: SCOPE,
      },
    });
    try {
      const valid = await service.post(PREVIEW_SAMPLE_TEXT, {
        authorization: `Bearer ${await issuer.token()}`,
      });
      assert.equal((await valid.json()).commands[0].value[0].status, "SUCCESSFUL");
      for (
        const authorization of [
          service.config.authSecrets[0]!,
          "okta-hook-secret-current-0001",
          "Bearer x.y.z",
        ]
      ) {
        const refused = await service.post(PREVIEW_SAMPLE_TEXT, { authorization });
        assert.equal(refused.status, 401);
        await refused.body?.cancel();
      }
      assert.equal(service.fake.requests.length, 1);
      assert.match(service.logLines.join("\n"), /"event":"hook_refused".*"detail":"no_bearer_token"/);
    } finally {
      await service.close();
    }
  }));

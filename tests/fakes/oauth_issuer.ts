// An Okta custom authorization server on loopback, as far as hooks see one: metadata, a JWKS with rotating
// RS256 keys generated here, and tokens signed with them. It counts key fetches.
import { exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from "jose";

interface SigningKey {
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly jwk: JWK;
}

/** A running issuer. */
export interface FakeIssuer {
  /** The issuer URL, as `OKTA_OAUTH_ISSUER` takes it. */
  readonly issuer: string;
  readonly audience: string;
  /** Key fetches so far. */
  keyFetches(): number;
  /** A token with Okta's usual claims for this issuer; `claims` and `options` change what a test needs. */
  token(
    claims?: JWTPayload,
    options?: { kid?: string; privateKey?: CryptoKey; expiresIn?: string },
  ): Promise<string>;
  /** Publishes a new key and signs with it from now on. Returns its kid. */
  rotate(): Promise<string>;
  /** Makes the metadata document answer 404, as for an issuer without discovery. */
  hideMetadata(): void;
  /** While true, the key endpoint answers 503 (it still counts the fetches). */
  failKeys(failing: boolean): void;
  close(): Promise<void>;
}

async function newKey(kid: string): Promise<SigningKey> {
  const { publicKey, privateKey } = await generateKeyPair("RS256");
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: "RS256", use: "sig" } };
}

/** Starts the issuer on 127.0.0.1 with a free port and one key. */
export async function startFakeIssuer(): Promise<FakeIssuer> {
  const keys = [await newKey("key-1")];
  let fetches = 0;
  let metadata = true;
  let keysFailing = false;
  let issuer = "";
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request): Response => {
    const path = new URL(request.url).pathname;
    if (path === "/oauth2/default/.well-known/oauth-authorization-server" && metadata) {
      return Response.json({ issuer, jwks_uri: `${issuer}/v1/keys`, token_endpoint: `${issuer}/v1/token` });
    }
    if (path === "/oauth2/default/v1/keys") {
      fetches++;
      if (keysFailing) return new Response("unavailable", { status: 503 });
      return Response.json({ keys: keys.map((key) => key.jwk) });
    }
    return new Response("not found", { status: 404 });
  });
  issuer = `http://127.0.0.1:${server.addr.port}/oauth2/default`;
  const audience = "api://okta-telephony-hook";
  return {
    issuer,
    audience,
    keyFetches: () => fetches,
    async token(claims = {}, options = {}) {
      const current = keys.at(-1)!;
      return await new SignJWT({ scp: ["okta.telephony.hook"], cid: "0oahookclient", ...claims })
        .setProtectedHeader({ alg: "RS256", kid: options.kid ?? current.kid, typ: "JWT" })
        .setIssuer(typeof claims.iss === "string" ? claims.iss : issuer)
        .setAudience(claims.aud ?? audience)
        .setSubject("0oahookclient")
        .setIssuedAt(typeof claims.iat === "number" ? claims.iat : undefined)
        .setExpirationTime(options.expiresIn ?? "5m")
        .sign(options.privateKey ?? current.privateKey);
    },
    async rotate() {
      const key = await newKey(`key-${keys.length + 1}`);
      keys.push(key);
      return key.kid;
    },
    hideMetadata: () => void (metadata = false),
    failKeys: (failing) => void (keysFailing = failing),
    close: () => server.shutdown(),
  };
}

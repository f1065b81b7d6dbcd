import {
  createLocalJWKSet,
  exportJWK,
  generateKeyPair,
  jwtVerify,
  SignJWT,
  type JWTPayload,
} from "jose";
import type { Clock } from "../clock.ts";

/**
 * A local identity provider and the check API Gateway's JWT authorizer makes: signature against
 * the issuer's JWKS, `iss`, `aud` among the audiences, `exp` and `nbf` (API Gateway Developer
 * Guide, "Controlling access to HTTP APIs with JWT authorizers").
 */
export interface IdentityProvider {
  issuer: string;
  audiences: string[];
  sign(subject: string, lifetimeSeconds?: number): Promise<string>;
  verify(token: string): Promise<JWTPayload>;
}

export async function localIdentityProvider(
  issuer: string,
  audiences: string[],
  clock: Clock,
): Promise<IdentityProvider> {
  const { privateKey, publicKey } = await generateKeyPair("RS256");
  const jwk = { ...(await exportJWK(publicKey)), kid: "tandem-sandbox", alg: "RS256", use: "sig" };
  const jwks = createLocalJWKSet({ keys: [jwk] });
  const seconds = () => Math.floor(clock.now() / 1000);
  return {
    issuer,
    audiences,
    sign: (subject, lifetimeSeconds = 3600) =>
      new SignJWT({ scope: "payments/write" })
        .setProtectedHeader({ alg: "RS256", kid: jwk.kid })
        .setIssuer(issuer)
        .setAudience(audiences[0]!)
        .setSubject(subject)
        .setIssuedAt(seconds())
        .setExpirationTime(seconds() + lifetimeSeconds)
        .sign(privateKey),
    verify: async (token) =>
      (
        await jwtVerify(token, jwks, {
          issuer,
          audience: audiences,
          currentDate: new Date(clock.now()),
        })
      ).payload,
  };
}

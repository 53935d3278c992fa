// Who is calling: internal calls carry the cluster secret (x-galaxy-secret), client calls a user and token
// (x-galaxy-user, x-galaxy-token). A method's AuthMode says which of them it accepts.
import { UnauthenticatedError } from "../core/errors.ts";

export type AuthMode = "none" | "internal" | "user" | "internal-or-user";

export interface Principal {
  kind: "internal" | "user" | "anonymous";
  user?: string;
  admin?: boolean;
  /** A user's grants (pool -> allowed actions) as the authenticator read them for this call: never a cached copy. */
  grants?: Readonly<Record<string, readonly string[]>>;
}

export const SECRET_HEADER = "x-galaxy-secret";
export const USER_HEADER = "x-galaxy-user";
export const TOKEN_HEADER = "x-galaxy-token";

export const INTERNAL: Principal = Object.freeze({ kind: "internal" as const });
export const ANONYMOUS: Principal = Object.freeze({ kind: "anonymous" as const });

export type UserAuthenticator = (user: string, token: string) => Promise<Principal | null>;

/** Compares in time that depends only on the expected secret's length, not on where the strings differ. */
export function safeEqual(given: string, expected: string): boolean {
  let diff = given.length ^ expected.length;
  const n = given.length;
  for (let i = 0; i < expected.length; i++) {
    diff |= (i < n ? given.charCodeAt(i) : 0) ^ expected.charCodeAt(i);
  }
  return diff === 0;
}

/** An empty cluster secret admits nobody (an empty header must not match it). */
export function isInternal(headers: Headers, secret: string): boolean {
  const given = headers.get(SECRET_HEADER);
  return given !== null && secret !== "" && safeEqual(given, secret);
}

async function asUser(headers: Headers, authenticate: UserAuthenticator | undefined): Promise<Principal> {
  const user = headers.get(USER_HEADER);
  const token = headers.get(TOKEN_HEADER);
  if (!authenticate || !user || !token) throw new UnauthenticatedError();
  const p = await authenticate(user, token);
  if (!p || p.kind === "anonymous") throw new UnauthenticatedError();
  return p;
}

/**
 * The caller's principal under `mode`, or UnauthenticatedError ("missing or invalid credentials").
 * Synchronous (no promise) for the internal and "none" paths, the hot ones.
 */
export function authenticate(
  mode: AuthMode,
  headers: Headers,
  secret: () => string,
  user: UserAuthenticator | undefined,
): Principal | Promise<Principal> {
  switch (mode) {
    case "none":
      return isInternal(headers, secret()) ? INTERNAL : ANONYMOUS;
    case "internal":
      if (isInternal(headers, secret())) return INTERNAL;
      throw new UnauthenticatedError();
    case "user":
      return asUser(headers, user);
    case "internal-or-user":
      if (isInternal(headers, secret())) return INTERNAL;
      return asUser(headers, user);
  }
}

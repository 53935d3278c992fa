// The RPC error funnel: GalaxyError <-> HTTP status + galaxy.v1.Error body, both ways.
import {
  GalaxyError,
  InternalError,
  NotLeaderError,
  errorFromCode,
  isGalaxyError,
  type ErrorCode,
} from "../core/errors.ts";

export const STATUS_BY_CODE: Readonly<Record<ErrorCode, number>> = {
  INVALID: 400,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  QUOTA_EXCEEDED: 403,
  NOT_FOUND: 404,
  AMBIGUOUS: 409,
  ALREADY_EXISTS: 409,
  CONFLICT: 409,
  STALE_EPOCH: 409,
  TOO_LARGE: 413,
  NOT_LEADER: 421,
  UNAVAILABLE: 503,
  INTERNAL: 500,
};

/** The wire form of an error (galaxy.v1.Error as a plain object). */
export interface WireError {
  code: string;
  message: string;
  leader: string;
  details: Record<string, string>;
}

export function statusForCode(code: string): number {
  return (STATUS_BY_CODE as Record<string, number>)[code] ?? 500;
}

/** The most likely code for a bare status (a reply without an Error body, e.g. from Bun or a proxy). */
export function codeForStatus(status: number): ErrorCode {
  switch (status) {
    case 400: return "INVALID";
    case 401: return "UNAUTHENTICATED";
    case 403: return "PERMISSION_DENIED";
    case 404: return "NOT_FOUND";
    case 409: return "CONFLICT";
    case 413: return "TOO_LARGE";
    case 421: return "NOT_LEADER";
    case 502: case 503: case 504: return "UNAVAILABLE";
    default: return "INTERNAL";
  }
}

export function errorToWire(err: GalaxyError): WireError {
  const leader = err instanceof NotLeaderError ? err.leader : (err.details.leader ?? "");
  return { code: err.code, message: err.message, leader, details: err.details };
}

/** Rebuilds the typed error a server sent. */
export function errorFromWire(w: WireError): GalaxyError {
  const details = w.leader ? { ...w.details, leader: w.leader } : w.details;
  return errorFromCode(w.code, w.message, details);
}

/**
 * Any thrown value -> a GalaxyError. Anything else is a bug: logged with its stack to stderr and answered
 * INTERNAL, never rethrown (the server keeps running).
 */
export function toGalaxyError(e: unknown, where: string): GalaxyError {
  if (isGalaxyError(e)) return e;
  const text = e instanceof Error ? (e.stack ?? e.message) : String(e);
  console.error(`galaxy rpc: ${where} failed: ${text}`);
  const message = e instanceof Error ? e.message : String(e);
  return new InternalError(`internal error in ${where}: ${message}`);
}

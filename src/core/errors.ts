// Typed errors with stable codes. One funnel per boundary: the RPC layer maps `code` to an HTTP status and back
// (src/rpc/errors.ts), the CLI maps it to an exit code and prints `message` as one sentence.
// "Not placeable" is a result, not an error; a broken invariant throws InternalError and is never swallowed.

export type ErrorCode =
  | "INVALID" // bad input: a malformed job file, a bad flag value, a garbage RPC body
  | "NOT_FOUND"
  | "AMBIGUOUS" // an id prefix that matches more than one thing
  | "ALREADY_EXISTS"
  | "CONFLICT" // an impossible state transition
  | "UNAUTHENTICATED"
  | "PERMISSION_DENIED"
  | "QUOTA_EXCEEDED"
  | "NOT_LEADER"
  | "STALE_EPOCH"
  | "TOO_LARGE"
  | "UNAVAILABLE" // the peer cannot be reached, or is recovering
  | "INTERNAL";

export class GalaxyError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: Record<string, string> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class InvalidError extends GalaxyError {
  constructor(message: string, details: Record<string, string> = {}) {
    super("INVALID", message, details);
  }
}

export class NotFoundError extends GalaxyError {
  constructor(kind: string, id: string) {
    super("NOT_FOUND", `no ${kind} ${JSON.stringify(id)}`, { kind, id });
  }
}

export class AmbiguousError extends GalaxyError {
  constructor(kind: string, prefix: string, candidates: string[]) {
    const shown = candidates.slice(0, 10).join(", ") + (candidates.length > 10 ? ", …" : "");
    super("AMBIGUOUS", `${kind} prefix ${JSON.stringify(prefix)} matches ${candidates.length}: ${shown}`, {
      kind,
      prefix,
      candidates: candidates.join(","),
    });
  }
}

export class AlreadyExistsError extends GalaxyError {
  constructor(kind: string, id: string) {
    super("ALREADY_EXISTS", `${kind} ${JSON.stringify(id)} already exists`, { kind, id });
  }
}

export class ConflictError extends GalaxyError {
  constructor(message: string) {
    super("CONFLICT", message);
  }
}

export class UnauthenticatedError extends GalaxyError {
  constructor(message = "missing or invalid credentials") {
    super("UNAUTHENTICATED", message);
  }
}

export class PermissionDeniedError extends GalaxyError {
  constructor(message: string) {
    super("PERMISSION_DENIED", message);
  }
}

export class QuotaExceededError extends GalaxyError {
  constructor(user: string, dimension: string, wanted: string, limit: string) {
    super("QUOTA_EXCEEDED", `quota of ${user} exceeded on ${dimension}: would use ${wanted} of ${limit}`, {
      user,
      dimension,
      wanted,
      limit,
    });
  }
}

export class NotLeaderError extends GalaxyError {
  constructor(
    readonly role: string,
    readonly leader: string,
  ) {
    super("NOT_LEADER", leader ? `this ${role} is not the leader; the leader is ${leader}` : `this ${role} is not the leader`, {
      leader,
    });
  }
}

export class StaleEpochError extends GalaxyError {
  constructor(got: number, seen: number) {
    super("STALE_EPOCH", `epoch ${got} is older than epoch ${seen} already seen`, { got: String(got), seen: String(seen) });
  }
}

export class TooLargeError extends GalaxyError {
  constructor(size: number, limit: number) {
    super("TOO_LARGE", `request body of ${size} bytes is over the limit of ${limit} bytes`);
  }
}

export class UnavailableError extends GalaxyError {
  /** details.service: the service no address answered for ("ResMan", "AppMaster"), set by the RPC client. */
  constructor(message: string, details: Record<string, string> = {}) {
    super("UNAVAILABLE", message, details);
  }
}

export class InternalError extends GalaxyError {
  constructor(message: string) {
    super("INTERNAL", message);
  }
}

/** Rebuilds a typed error from a code and message (the client side of the RPC funnel). */
export function errorFromCode(code: string, message: string, details: Record<string, string> = {}): GalaxyError {
  const known: ErrorCode[] = [
    "INVALID", "NOT_FOUND", "AMBIGUOUS", "ALREADY_EXISTS", "CONFLICT", "UNAUTHENTICATED", "PERMISSION_DENIED",
    "QUOTA_EXCEEDED", "NOT_LEADER", "STALE_EPOCH", "TOO_LARGE", "UNAVAILABLE", "INTERNAL",
  ];
  const c = (known as string[]).includes(code) ? (code as ErrorCode) : "INTERNAL";
  if (c === "NOT_LEADER") {
    const e = new NotLeaderError("master", details.leader ?? "");
    e.message = message;
    return e;
  }
  return new GalaxyError(c, message, details);
}

export function isGalaxyError(e: unknown): e is GalaxyError {
  return e instanceof GalaxyError;
}

import { describe, expect, spyOn, test } from "bun:test";
import {
  AlreadyExistsError, GalaxyError, NotFoundError, NotLeaderError, QuotaExceededError, StaleEpochError, TooLargeError,
  type ErrorCode,
} from "../core/errors.ts";
import { STATUS_BY_CODE, codeForStatus, errorFromWire, errorToWire, statusForCode, toGalaxyError } from "./errors.ts";

describe("status mapping", () => {
  test("every code has the status the protocol names", () => {
    const want: Record<ErrorCode, number> = {
      INVALID: 400, UNAUTHENTICATED: 401, PERMISSION_DENIED: 403, QUOTA_EXCEEDED: 403, NOT_FOUND: 404, AMBIGUOUS: 409,
      ALREADY_EXISTS: 409, CONFLICT: 409, STALE_EPOCH: 409, TOO_LARGE: 413, NOT_LEADER: 421, UNAVAILABLE: 503, INTERNAL: 500,
    };
    expect(STATUS_BY_CODE).toEqual(want);
    expect(statusForCode("SOMETHING_NEW")).toBe(500);
  });

  test("a bare status maps back to the likeliest code", () => {
    expect(codeForStatus(413)).toBe("TOO_LARGE");
    expect(codeForStatus(421)).toBe("NOT_LEADER");
    expect(codeForStatus(502)).toBe("UNAVAILABLE");
    expect(codeForStatus(418)).toBe("INTERNAL");
  });
});

describe("wire round trip", () => {
  test("code, message and details survive", () => {
    for (const err of [
      new NotFoundError("job", "web"),
      new AlreadyExistsError("pool", "gpu"),
      new QuotaExceededError("ann", "memory", "8 GiB", "4 GiB"),
      new StaleEpochError(3, 5),
      new TooLargeError(10, 5),
    ]) {
      const back = errorFromWire(errorToWire(err));
      expect(back).toBeInstanceOf(GalaxyError);
      expect([back.code, back.message, back.details]).toEqual([err.code, err.message, err.details]);
    }
  });

  test("NOT_LEADER carries the leader both ways", () => {
    const wire = errorToWire(new NotLeaderError("resman", "10.0.0.2:1645"));
    expect(wire.leader).toBe("10.0.0.2:1645");
    const back = errorFromWire({ ...wire, details: {} });
    expect(back).toBeInstanceOf(NotLeaderError);
    expect((back as NotLeaderError).leader).toBe("10.0.0.2:1645");
    expect(back.message).toBe("this resman is not the leader; the leader is 10.0.0.2:1645");
  });

  test("a non-Galaxy exception becomes INTERNAL and is logged with its stack", () => {
    const log = spyOn(console, "error").mockImplementation(() => {});
    try {
      const e = toGalaxyError(new RangeError("bad index"), "ResMan/Heartbeat");
      expect(e.code).toBe("INTERNAL");
      expect(e.message).toBe("internal error in ResMan/Heartbeat: bad index");
      expect(String(log.mock.calls[0]![0])).toContain("RangeError: bad index");
      const same = new NotFoundError("job", "x");
      expect(toGalaxyError(same, "x")).toBe(same);
    } finally {
      log.mockRestore();
    }
  });
});

import { expect, test } from "bun:test";
import { UnavailableError } from "../core/errors.ts";
import { describeError } from "./errors.ts";

test("the hint for a service that did not answer follows the error's service code, not its wording", () => {
  expect(describeError(new UnavailableError("nobody answered", { service: "AppMaster" }))).toEqual({
    message: "nobody answered; is `galaxy appmaster` running? see `galaxy status`", exit: 1,
  });
  expect(describeError(new UnavailableError("nobody answered", { service: "ResMan" }))?.message).toBe("nobody answered; is `galaxy resman` running?");
  expect(describeError(new UnavailableError("no AppMaster at a:1 (refused)"))?.message).toBe("no AppMaster at a:1 (refused)");
});

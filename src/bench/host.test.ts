import { expect, test } from "bun:test";
import { chargedPerPod } from "./host.ts";

test("charged per pod: nothing when no task is listed", () => {
  expect(chargedPerPod([], () => true)).toBe(0);
});

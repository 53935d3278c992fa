import { expect, test } from "bun:test";
import { podStateOf } from "./pods.ts";

test("a worker's pod state converts once: empty is starting, an unknown word is refused with one sentence", () => {
  expect(podStateOf("")).toBe("starting");
  expect(podStateOf("running")).toBe("running");
  expect(() => podStateOf("sleeping")).toThrow('unknown pod state "sleeping"');
});

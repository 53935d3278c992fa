import { expect, test } from "bun:test";
import { takeEvents } from "./api.ts";

test("server-sent events are split at blank lines; a partial one waits; comments are skipped", () => {
  const got: [string, string][] = [];
  const rest = takeEvents('data: {"a":1}\n\n: ping\n\nevent: failed\ndata: {"code":"X"}\n\ndata: {"b"', (e, d) => got.push([e, d]));
  expect(got).toEqual([["message", '{"a":1}'], ["failed", '{"code":"X"}']]);
  expect(rest).toBe('data: {"b"');
  expect(takeEvents(rest + ":2}\n\n", (e, d) => got.push([e, d]))).toBe("");
  expect(got.at(-1)).toEqual(["message", '{"b":2}']);
});

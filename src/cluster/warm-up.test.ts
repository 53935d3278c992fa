import { expect, test } from "bun:test";
import { WarmUp, WARM_UP_SLICES } from "./master.ts";

const until = async (cond: () => boolean) => {
  for (let i = 0; i < 500 && !cond(); i++) await Bun.sleep(2);
};

test("a standby's warm-up runs its slices on separate turns of the event loop, logs once, and stops when told", async () => {
  const order: string[] = [];
  const logs: string[] = [];
  const w = new WarmUp(() => order.push("slice"), (m) => logs.push(m));
  w.start();
  w.start(); // a second start changes nothing
  setTimeout(() => order.push("other work"), 0); // e.g. the lock poll: it must not wait for every slice
  await until(() => logs.length > 0);
  expect(order.filter((x) => x === "slice").length).toBe(WARM_UP_SLICES);
  expect(order.indexOf("other work")).toBeLessThan(order.lastIndexOf("slice"));
  expect(logs).toEqual([expect.stringMatching(/^warmed up for a takeover \(\d+ ms of work over \d+ ms\)$/)]);
  w.stop();
});

test("stopped mid-way (the lock was won), no slice runs after; a failing slice is logged and ends the warm-up", async () => {
  let n = 0;
  const w = new WarmUp(() => void n++, () => {});
  w.start();
  await until(() => n >= 2);
  w.stop();
  const at = n;
  await Bun.sleep(30);
  expect(n).toBe(at);
  const logs: string[] = [];
  const bad = new WarmUp(() => {
    throw new Error("boom");
  }, (m) => logs.push(m));
  bad.start();
  await until(() => logs.length > 0);
  expect(logs).toEqual(["warm-up failed (boom); taking over will be slower"]);
});

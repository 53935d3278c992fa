import { expect, test } from "bun:test";
import { hostname } from "node:os";
import { reachableAdvertise } from "./resman.ts";

const any = { host: "0.0.0.0", port: 1645 };
const resolvesTo = (ip: string) => async () => ip;

test("with --etcd and no --advertise, a host name that resolves to loopback is refused with one sentence", async () => {
  await expect(reachableAdvertise(any, undefined, "http://e:2379", resolvesTo("127.0.1.1"))).rejects.toThrow(
    `--advertise is required with --etcd: this host's name ${hostname()} resolves to 127.0.1.1, which other hosts cannot reach`,
  );
  await expect(reachableAdvertise(any, undefined, "http://e:2379", () => Promise.reject(new Error("ENOTFOUND")))).rejects.toThrow("resolves to nothing");
  expect(await reachableAdvertise(any, undefined, "http://e:2379", resolvesTo("10.0.0.5"))).toBe(`${hostname()}:1645`);
});

test("--advertise, an explicit --listen host, or no --etcd: taken as given", async () => {
  const loopback = resolvesTo("127.0.0.1");
  expect(await reachableAdvertise(any, "10.0.0.9:1645", "http://e:2379", loopback)).toBe("10.0.0.9:1645");
  expect(await reachableAdvertise({ host: "127.0.0.1", port: 1645 }, undefined, "http://e:2379", loopback)).toBe("127.0.0.1:1645");
  expect(await reachableAdvertise(any, undefined, undefined, loopback)).toBe(`${hostname()}:1645`);
});

import { describe, expect, test } from "bun:test";
import { GalaxyError } from "../core/errors.ts";
import { decode, decodeJson, encode, encodeJson, jsonDeeperThan, messageType } from "./codec.ts";
import type { Methods } from "./gen/methods.ts";

type HB = Methods["ResMan/Heartbeat"]["req"];

const heartbeat = {
  agent: { endpoint: "10.0.0.1:1646", pool: "default", labels: ["ssd", "gpu"], total: { millicores: 8000, memory: 2 ** 40 } },
  epochSeen: 2 ** 40 + 7, // beyond 32 bits
  full: true,
  containers: [
    { containerId: "web.0", state: "running", exitCode: -1, cap: { epoch: 3, env: { JOB: "web", POD: "web.0" } } },
  ],
};

function invalidMessage(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(GalaxyError);
    expect((e as GalaxyError).code).toBe("INVALID");
    return (e as GalaxyError).message;
  }
  throw new Error("expected an INVALID error");
}

describe("protobuf codec", () => {
  test("round trip fills every field, longs as numbers, nested/repeated/map kept", () => {
    const out = decode<HB>("HeartbeatRequest", encode("HeartbeatRequest", heartbeat));
    expect(out.epochSeen).toBe(2 ** 40 + 7);
    expect(out.capsEpoch).toBe(0);
    expect(out.pressure).toBe(false);
    expect(out.agent.total.memory).toBe(2 ** 40);
    expect(out.agent.total.disk).toBe(0);
    expect(out.agent.labels).toEqual(["ssd", "gpu"]);
    expect(out.containers[0]!.exitCode).toBe(-1);
    expect(out.containers[0]!.cap.env).toEqual({ JOB: "web", POD: "web.0" });
    expect(out.containers[0]!.cap.ports).toEqual([]);
    expect(out.usage).toEqual({ millicores: 0, memoryRss: 0, memoryCache: 0, disk: 0, at: 0 }); // absent sub-message reads as its default
  });

  test("empty bytes are the empty message with defaults", () => {
    const out = decode<HB>("HeartbeatRequest", new Uint8Array(0));
    expect(out.containers).toEqual([]);
    expect(out.epochSeen).toBe(0);
  });

  test("garbage bytes are INVALID", () => {
    const msg = invalidMessage(() => decode("HeartbeatRequest", new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0x0f, 1])));
    expect(msg).toContain("not a valid protobuf HeartbeatRequest");
  });

  test("bytes fields stay Uint8Array", () => {
    const data = new Uint8Array([0, 1, 2, 255]);
    const out = decode<Methods["Agent/ReadLogs"]["res"]>("ReadLogsReply", encode("ReadLogsReply", { data, offset: 4 }));
    expect([...out.data]).toEqual([0, 1, 2, 255]);
  });

  test("unknown type name is an internal error", () => {
    expect(() => messageType("NoSuchMessage")).toThrow("no protobuf message");
    expect(() => messageType("ResMan")).toThrow("no protobuf message"); // a service, not a message
  });
});

describe("JSON codec", () => {
  test("round trip equals the protobuf round trip", () => {
    const viaJson = decodeJson<HB>("HeartbeatRequest", encodeJson("HeartbeatRequest", heartbeat));
    const viaProto = decode<HB>("HeartbeatRequest", encode("HeartbeatRequest", heartbeat));
    expect(viaJson).toEqual(viaProto);
  });

  test("JSON text has longs as numbers and bytes as base64", () => {
    expect(JSON.parse(encodeJson("HeartbeatRequest", { epochSeen: 5 })).epochSeen).toBe(5);
    const text = encodeJson("ReadLogsReply", { data: new TextEncoder().encode("hi") });
    expect(JSON.parse(text).data).toBe("aGk=");
    const back = decodeJson<Methods["Agent/ReadLogs"]["res"]>("ReadLogsReply", text);
    expect(new TextDecoder().decode(back.data)).toBe("hi");
  });

  test("an empty body is the empty message", () => {
    expect(decodeJson<HB>("HeartbeatRequest", "").full).toBe(false);
  });

  test("wrong field types are INVALID and name the field", () => {
    expect(invalidMessage(() => decodeJson("HeartbeatRequest", '{"epochSeen":"soon"}'))).toContain("field epochSeen");
    expect(invalidMessage(() => decodeJson("HeartbeatRequest", '{"agent":{"total":{"memory":"lots"}}}'))).toContain(
      "field agent.total.memory: integer expected",
    );
    expect(invalidMessage(() => decodeJson("HeartbeatRequest", '{"full":"yes"}'))).toContain("field full");
    expect(invalidMessage(() => decodeJson("HeartbeatRequest", '{"containers":{}}'))).toContain("field containers");
    expect(invalidMessage(() => decodeJson("HeartbeatRequest", '{"containers":[null]}'))).toContain("field containers");
    expect(invalidMessage(() => decodeJson("HeartbeatRequest", '{"agent":{"endpoint":7}}'))).toContain(
      "field agent.endpoint: string expected",
    );
  });

  test("non-objects and broken JSON are INVALID", () => {
    expect(invalidMessage(() => decodeJson("HeartbeatRequest", "[1,2]"))).toContain("a JSON object expected, got an array");
    expect(invalidMessage(() => decodeJson("HeartbeatRequest", "42"))).toContain("got a number");
    expect(invalidMessage(() => decodeJson("HeartbeatRequest", "null"))).toContain("got null");
    expect(invalidMessage(() => decodeJson("HeartbeatRequest", "{nope"))).toContain("not valid JSON");
  });

  test("a wrongly shaped object to encode is INVALID", () => {
    expect(invalidMessage(() => encode("HeartbeatRequest", { agent: 5 } as object))).toContain("HeartbeatRequest.agent");
  });
});

describe("JSON depth", () => {
  test("a body nested a million deep is refused before JSON.parse, in one sentence; strings do not count", () => {
    const deep = `{"spec":{"text":"x"},"junk":${"[".repeat(1_000_000)}${"]".repeat(1_000_000)}}`;
    let err: unknown = null;
    try {
      decodeJson("SubmitJobRequest", deep);
    } catch (e) {
      err = e;
    }
    expect((err as Error).message).toBe("body nests deeper than 64 levels");
    expect((err as GalaxyError).code).toBe("INVALID");
    const te = new TextEncoder();
    expect(jsonDeeperThan(te.encode(`{"a":"${"[".repeat(100)}\\"${"{".repeat(100)}"}`), 64)).toBe(false);
    expect(jsonDeeperThan(te.encode("[".repeat(64) + "]".repeat(64)), 64)).toBe(false);
    expect(jsonDeeperThan(te.encode("[".repeat(65) + "]".repeat(65)), 64)).toBe(true);
  });
});

import { expect, test } from "bun:test";
import { checkPodClaim, jobOfContainer, podTokenOf, verifyPodToken } from "./pod-auth.ts";

const said = (f: () => void) => {
  try {
    f();
    return "ok";
  } catch (e) {
    return (e as { code: string }).code;
  }
};

test("a pod token is the HMAC of its container id under the cluster secret; an empty secret admits nobody", () => {
  const t = podTokenOf("s", "web-1.0");
  expect(said(() => verifyPodToken("s", "web-1.0", t))).toBe("ok");
  expect(said(() => verifyPodToken("s", "web-1.1", t))).toBe("UNAUTHENTICATED");
  expect(said(() => verifyPodToken("other", "web-1.0", t))).toBe("UNAUTHENTICATED");
  expect(said(() => verifyPodToken("", "web-1.0", podTokenOf("", "web-1.0")))).toBe("UNAUTHENTICATED");
});

test("a report names its own pod, in the job AppMaster knows it by, or for a new pod the job in its container id", () => {
  expect(jobOfContainer("web-20261121-1432-7f3a.12")).toBe("web-20261121-1432-7f3a");
  expect(jobOfContainer("odd")).toBe("");
  const r = (podId: string, jobId: string) => ({ containerId: "web-1.0", podId, jobId });
  expect(said(() => checkPodClaim(r("web-1.0", "web-1"), undefined))).toBe("ok");
  expect(said(() => checkPodClaim(r("web-1.0", "web-1"), "web-1"))).toBe("ok");
  expect(said(() => checkPodClaim(r("web-1.0", "web-1"), "other"))).toBe("PERMISSION_DENIED");
  expect(said(() => checkPodClaim(r("db-1.0", "db-1"), undefined))).toBe("PERMISSION_DENIED");
  expect(said(() => checkPodClaim(r("web-1.0", "db-1"), undefined))).toBe("PERMISSION_DENIED");
  expect(said(() => checkPodClaim({ containerId: "odd", podId: "odd", jobId: "" }, undefined))).toBe("PERMISSION_DENIED");
});

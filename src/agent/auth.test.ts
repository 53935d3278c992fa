import { describe, expect, test } from "bun:test";
import { UnauthenticatedError } from "../core/errors.ts";
import type { RpcClient } from "../rpc/index.ts";
import { AUTH_CACHE_MS, checkAdmin, checkLogAccess, mayReadLogs, UserAuthenticator } from "./auth.ts";

const user = (name: string, admin = false) => ({ kind: "user" as const, user: name, admin });

describe("who may read a container's logs", () => {
  const none = new Map<string, string[]>();
  test("internal callers, admins and the owner; others with list or admin on the agent's pool", () => {
    expect(() => checkLogAccess({ kind: "internal" }, "alice", "p", none)).not.toThrow();
    expect(() => checkLogAccess(user("root", true), "alice", "p", none)).not.toThrow();
    expect(() => checkLogAccess(user("alice"), "alice", "p", none)).not.toThrow();
    expect(() => checkLogAccess(user("bob"), "alice", "p", new Map([["p", ["list"]]]))).not.toThrow();
    expect(() => checkLogAccess(user("bob"), "alice", "p", new Map([["other", ["admin"]]]))).toThrow(
      "user bob may not read the logs of a container of alice in pool p",
    );
    expect(() => checkLogAccess({ kind: "anonymous" }, "alice", "p", none)).toThrow(UnauthenticatedError);
  });

  test("as a filter (which kept workspaces a user is shown): the same rule, and no credentials is still an error", () => {
    expect(mayReadLogs(user("alice"), "alice", "p", none)).toBe(true);
    expect(mayReadLogs(user("bob"), "alice", "p", none)).toBe(false);
    expect(mayReadLogs(user("bob"), "alice", "p", new Map([["p", ["list"]]]))).toBe(true);
    expect(() => mayReadLogs({ kind: "anonymous" }, "alice", "p", none)).toThrow(UnauthenticatedError);
  });

  test("the container list is for admins", () => {
    expect(() => checkAdmin(user("root", true))).not.toThrow();
    expect(() => checkAdmin(user("bob"))).toThrow(/not an admin/);
  });
});

describe("users are ResMan's: asked once, cached ~10 s", () => {
  test("a known user with grants, a wrong token, and the cache expiring", async () => {
    let now = 0;
    const calls: string[] = [];
    const resman = {
      call: async (_m: string, req: { user: string; token: string }) => {
        calls.push(req.user);
        if (req.token !== "good") throw Object.assign(new Error("bad"), { code: "UNAUTHENTICATED" });
        return { user: { name: req.user, admin: false }, grants: [{ user: req.user, pool: "p", allow: ["list"] }] };
      },
    } as unknown as RpcClient;
    const auth = new UserAuthenticator(resman, () => now);
    expect(await auth.authenticate("bob", "good")).toEqual({ kind: "user", user: "bob", admin: false });
    expect(await auth.authenticate("bob", "good")).not.toBeNull();
    expect(auth.grantsOf("bob").get("p")).toEqual(["list"]);
    expect(await auth.authenticate("eve", "bad")).toBeNull();
    expect(await auth.authenticate("eve", "bad")).toBeNull();
    expect(calls).toEqual(["bob", "eve"]);
    now += AUTH_CACHE_MS;
    await auth.authenticate("bob", "good");
    expect(calls).toEqual(["bob", "eve", "bob"]);
  });

  test("ResMan unreachable is an error, not a refusal", async () => {
    const resman = { call: async () => Promise.reject(Object.assign(new Error("down"), { code: "UNAVAILABLE" })) } as unknown as RpcClient;
    await expect(new UserAuthenticator(resman).authenticate("bob", "x")).rejects.toThrow("down");
  });
});

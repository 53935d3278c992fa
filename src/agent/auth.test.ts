import { describe, expect, test } from "bun:test";
import { UnauthenticatedError } from "../core/errors.ts";
import type { RpcClient } from "../rpc/index.ts";
import { checkAdmin, checkLogAccess, mayReadLogs, UserAuthenticator } from "./auth.ts";

const user = (name: string, admin = false, grants: Record<string, string[]> = {}) => ({ kind: "user" as const, user: name, admin, grants });

describe("who may read a container's logs", () => {
  test("internal callers, admins and the owner; others with list or admin on the agent's pool", () => {
    expect(() => checkLogAccess({ kind: "internal" }, "alice", "p")).not.toThrow();
    expect(() => checkLogAccess(user("root", true), "alice", "p")).not.toThrow();
    expect(() => checkLogAccess(user("alice"), "alice", "p")).not.toThrow();
    expect(() => checkLogAccess(user("bob", false, { p: ["list"] }), "alice", "p")).not.toThrow();
    expect(() => checkLogAccess(user("bob", false, { other: ["admin"] }), "alice", "p")).toThrow(
      "user bob may not read the logs of a container of alice in pool p",
    );
    expect(() => checkLogAccess({ kind: "anonymous" }, "alice", "p")).toThrow(UnauthenticatedError);
  });

  test("as a filter (which kept workspaces a user is shown): the same rule, and no credentials is still an error", () => {
    expect(mayReadLogs(user("alice"), "alice", "p")).toBe(true);
    expect(mayReadLogs(user("bob"), "alice", "p")).toBe(false);
    expect(mayReadLogs(user("bob", false, { p: ["list"] }), "alice", "p")).toBe(true);
    expect(() => mayReadLogs({ kind: "anonymous" }, "alice", "p")).toThrow(UnauthenticatedError);
  });

  test("the container list is for admins", () => {
    expect(() => checkAdmin(user("root", true))).not.toThrow();
    expect(() => checkAdmin(user("bob"))).toThrow(/not an admin/);
  });
});

describe("users are ResMan's: asked at every call", () => {
  test("a grant taken, or a user removed and added again, applies to the next call", async () => {
    const users = new Map([["bob", { token: "t1", allow: ["list"] }]]);
    const resman = {
      call: async (_m: string, req: { user: string; token: string }) => {
        const u = users.get(req.user);
        if (!u || u.token !== req.token) throw Object.assign(new Error("bad"), { code: "UNAUTHENTICATED" });
        return { user: { name: req.user, admin: false }, grants: u.allow.length ? [{ user: req.user, pool: "p", allow: u.allow }] : [] };
      },
    } as unknown as RpcClient;
    const auth = new UserAuthenticator(resman);
    const bob = await auth.authenticate("bob", "t1");
    expect(bob).toEqual(user("bob", false, { p: ["list"] }));
    expect(() => checkLogAccess(bob!, "alice", "p")).not.toThrow();
    users.get("bob")!.allow = [];
    const after = (await auth.authenticate("bob", "t1"))!;
    expect(() => checkLogAccess(after, "alice", "p")).toThrow(/may not read the logs/);
    users.set("bob", { token: "t2", allow: [] }); // removed, added again
    expect(await auth.authenticate("bob", "t1")).toBeNull();
    const again = (await auth.authenticate("bob", "t2"))!;
    expect(() => checkLogAccess(again, "alice", "p")).toThrow(/may not read the logs/);
  });

  test("ResMan unreachable is an error, not a refusal", async () => {
    const resman = { call: async () => Promise.reject(Object.assign(new Error("down"), { code: "UNAVAILABLE" })) } as unknown as RpcClient;
    await expect(new UserAuthenticator(resman).authenticate("bob", "x")).rejects.toThrow("down");
  });
});

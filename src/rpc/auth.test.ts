import { describe, expect, test } from "bun:test";
import { authenticate, safeEqual, type Principal } from "./auth.ts";

const h = (o: Record<string, string>) => new Headers(o);
const users = async (user: string, token: string): Promise<Principal | null> =>
  token === "good" ? { kind: "user", user, admin: false } : null;

async function who(mode: Parameters<typeof authenticate>[0], headers: Record<string, string>, secret = "s"): Promise<string> {
  try {
    const p = await authenticate(mode, h(headers), () => secret, users);
    return p.kind + (p.user ? `:${p.user}` : "");
  } catch (e) {
    return (e as { code: string }).code;
  }
}

describe("auth", () => {
  test("safeEqual", () => {
    expect(safeEqual("abc", "abc")).toBe(true);
    expect(safeEqual("abd", "abc")).toBe(false);
    expect(safeEqual("ab", "abc")).toBe(false);
    expect(safeEqual("abcd", "abc")).toBe(false);
    expect(safeEqual("", "")).toBe(true);
  });

  test("modes", async () => {
    const secret = { "x-galaxy-secret": "s" };
    const user = { "x-galaxy-user": "ann", "x-galaxy-token": "good" };
    expect(await who("none", {})).toBe("anonymous");
    expect(await who("none", secret)).toBe("internal");
    expect(await who("internal", secret)).toBe("internal");
    expect(await who("internal", user)).toBe("UNAUTHENTICATED");
    expect(await who("user", user)).toBe("user:ann");
    expect(await who("user", secret)).toBe("UNAUTHENTICATED");
    expect(await who("user", { ...user, "x-galaxy-token": "bad" })).toBe("UNAUTHENTICATED");
    expect(await who("internal-or-user", secret)).toBe("internal");
    expect(await who("internal-or-user", user)).toBe("user:ann");
    expect(await who("internal-or-user", {})).toBe("UNAUTHENTICATED");
    expect(await who("internal", { "x-galaxy-secret": "" }, "")).toBe("UNAUTHENTICATED"); // empty secret admits nobody
  });

  test("the internal path answers without a promise", () => {
    const p = authenticate("internal", h({ "x-galaxy-secret": "s" }), () => "s", users);
    expect(p instanceof Promise).toBe(false);
  });
});

// A master must not lead with empty or foreign hard state (issue #17): with LMDB, a standby whose data dir is not
// the last leader's refuses to lead, says why in one sentence and exits 1; the last leader's data dir leads again.
import { afterAll, expect, test, setDefaultTimeout } from "bun:test";
import { join } from "node:path";
import { freePortBase, requireBinary, stopChild, waitFor, World } from "./harness.ts";

setDefaultTimeout(60_000);
const w = new World();
afterAll(() => w.cleanup());

test("a ResMan with its own data dir refuses to take over from the last leader's state; the last leader's dir leads", async () => {
  requireBinary();
  const base = await freePortBase(3);
  const cluster = join(w.dir, "cluster");
  const resman = (dir: string, port: number) => ["resman", "--data-dir", join(w.dir, dir), "--cluster-dir", cluster, "--listen", `127.0.0.1:${port}`];

  const a = w.start("a", resman("a", base));
  await waitFor("a to lead", () => w.log("a").includes("epoch 1; recovering"));
  expect(await stopChild(a, "SIGINT", 20_000)).toBe(0);

  const b = w.run(resman("b", base + 1));
  expect(b.code).toBe(1);
  expect(b.stderr).toMatch(
    new RegExp(`failed: refusing to lead resman: data dir ${join(w.dir, "b")} holds none of cluster [0-9a-f]+'s hard state \\(its last leader wrote generation 1\\); start it with the last leader's data dir\\n`),
  );

  const again = w.start("a2", resman("a", base + 2));
  await waitFor("a's data dir to lead again", () => /epoch \d+; recovering/.test(w.log("a2")));
  expect(w.log("a2")).not.toContain("refusing");
  await stopChild(again, "SIGINT", 20_000);
});

import { afterAll, expect, test } from "bun:test";
import { ExecSessions, ttyArgv } from "./exec-session.ts";

const sessions = new ExecSessions();
afterAll(() => sessions.stop());

test("a terminal session: the size set, keystrokes in, output out, the exit code; only its user attaches", async () => {
  expect(ttyArgv(["sh", "-c", "echo 'hi'"], 40, 120)).toEqual(["script", "-qfec", `stty rows 40 cols 120 2>/dev/null; exec 'sh' '-c' 'echo '\\''hi'\\'''`, "/dev/null"]);
  const id = sessions.start("alice", ["sh", "-c", "stty size; read x; echo got $x; exit 4"], { PATH: process.env.PATH! }, "/tmp", 40, 120, 30_000);
  await expect(sessions.attach("bob", id, new Uint8Array(), 0)).rejects.toThrow("this exec session belongs to another user");
  let out = "";
  let r = await sessions.attach("alice", id, Buffer.from("typed\n"), 1000);
  for (let i = 0; !r.exited && i < 100; i++) {
    out += Buffer.from(r.output).toString();
    r = await sessions.attach("alice", id, new Uint8Array(), 1000);
  }
  out += Buffer.from(r.output).toString();
  expect(out).toContain("40 120");
  expect(out).toContain("got typed");
  expect(r).toMatchObject({ exited: true, exitCode: 4 });
  await expect(sessions.attach("alice", id, new Uint8Array(), 0)).rejects.toThrow(/no exec session/); // forgotten once read
});

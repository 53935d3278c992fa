// galaxy exec with a terminal, the client side: the local terminal in raw mode, keystrokes sent with each
// Agent/ExecAttach (which waits for output), what comes back written as is, until the command exits.
import type { RpcClient } from "../rpc/index.ts";

export async function runTerminal(agent: RpcClient, session: string): Promise<number> {
  const stdin = process.stdin;
  const raw = !!stdin.isTTY;
  let typed: Buffer[] = [];
  const onData = (d: Buffer) => void typed.push(d);
  if (raw) stdin.setRawMode(true);
  stdin.on("data", onData);
  stdin.resume();
  try {
    for (;;) {
      const keys = Buffer.concat(typed);
      typed = [];
      const r = await agent.call("Agent/ExecAttach", { session, stdin: keys, waitMs: keys.length ? 20 : 100 });
      if (r.output.length) process.stdout.write(r.output);
      if (r.exited) return r.exitCode;
    }
  } finally {
    stdin.off("data", onData);
    if (raw) stdin.setRawMode(false);
    stdin.pause();
  }
}

// Test helper: spawn campaign-child.ts processes, collect their JSON lines, wait on conditions with deadlines.
import type { Subprocess } from "bun";
import { existsSync } from "node:fs";
import { join } from "node:path";

export interface ChildEvent {
  event: string;
  pid: number;
  epoch?: number;
  msg?: string;
}

const BUN = join(import.meta.dir, "../../../node_modules/.bin/bun");
const FIXTURE = join(import.meta.dir, "campaign-child.ts");

export class Child {
  readonly events: ChildEvent[] = [];
  private stderr = "";

  constructor(readonly proc: Subprocess<"ignore", "pipe", "pipe">) {
    void this.pump(proc.stdout, (line) => this.events.push(JSON.parse(line) as ChildEvent));
    void this.pump(proc.stderr, (line) => (this.stderr += line + "\n"));
  }

  get pid(): number {
    return this.proc.pid;
  }

  find(event: string, msgIncludes = ""): ChildEvent | undefined {
    return this.events.find((e) => e.event === event && (e.msg ?? "").includes(msgIncludes));
  }

  /** Waits until the child has printed `event` (whose msg includes msgIncludes); throws with its output after timeoutMs. */
  async waitFor(event: string, timeoutMs: number, msgIncludes = ""): Promise<ChildEvent> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const e = this.find(event, msgIncludes);
      if (e) return e;
      if (performance.now() > deadline) {
        throw new Error(`pid ${this.pid}: no ${event} within ${timeoutMs} ms; stdout ${JSON.stringify(this.events)}; stderr ${this.stderr}`);
      }
      await Bun.sleep(10);
    }
  }

  signal(sig: NodeJS.Signals): void {
    try {
      process.kill(this.pid, sig);
    } catch {
      // already gone
    }
  }

  private async pump(stream: ReadableStream<Uint8Array>, onLine: (line: string) => void): Promise<void> {
    const decoder = new TextDecoder();
    let buf = "";
    for await (const chunk of stream) {
      buf += decoder.decode(chunk, { stream: true });
      let i: number;
      while ((i = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (line.trim()) onLine(line);
      }
    }
  }
}

export function spawnCampaigner(dir: string, role: string, leaseMs: number, pollMs: number): Child {
  const bun = existsSync(BUN) ? BUN : process.execPath;
  const proc = Bun.spawn([bun, FIXTURE, dir, role, `127.0.0.1:${1645}`, String(leaseMs), String(pollMs)], {
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  return new Child(proc);
}

/** SIGKILL (works on stopped processes too) and wait for exit. */
export async function killChild(c: Child): Promise<void> {
  c.signal("SIGKILL");
  await c.proc.exited;
}

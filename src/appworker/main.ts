// `galaxy appworker` without oclif: the per-host worker (`--host DIR`) and the per-container worker (environment
// only) start here straight from src/main.ts, so that a host's long-running worker carries neither the CLI framework
// nor the command registry (issue 22's per-host memory). commands/appworker.ts calls the same function for --help.
import { writeFileSync } from "node:fs";
import { HostWorker } from "./host-worker.ts";
import { Worker, workerEnvFrom } from "./worker.ts";

/** The worker's arguments when they are the only ones it takes: [] or ["--host", DIR] / ["--host=DIR"]; else null. */
export function plainWorkerArgs(args: readonly string[]): { host?: string } | null {
  if (args.length === 0) return {};
  if (args.length === 2 && args[0] === "--host" && args[1] !== "" && !args[1]!.startsWith("-")) return { host: args[1] };
  if (args.length === 1 && args[0]!.startsWith("--host=") && args[0]!.length > "--host=".length) return { host: args[0]!.slice("--host=".length) };
  return null;
}

export async function runAppWorker(o: { host?: string }): Promise<void> {
  if (o.host) {
    try {
      writeFileSync("/proc/self/oom_score_adj", "-998"); // tasks start back at 0 (task-launch.ts)
    } catch {
      /* not root */
    }
    const log = (msg: string) => process.stderr.write(`${new Date().toISOString()} host worker: ${msg}\n`);
    log(`serving the containers listed in ${o.host}`);
    await new HostWorker(o.host, log).run();
    return;
  }
  let env;
  try {
    env = workerEnvFrom(process.env);
  } catch (e) {
    process.stderr.write(`Error: ${(e as Error).message}\n`);
    process.exit(1);
  }
  const log = (msg: string) => process.stderr.write(`${new Date().toISOString()} worker ${env.podId}: ${msg}\n`);
  await new Worker(env, log).run();
}

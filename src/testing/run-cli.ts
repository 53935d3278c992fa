// Runs a galaxy command in-process, as the binary would, capturing stdout, stderr and the exit code.
import { main } from "../main.ts";

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCli(argv: string[], env: Record<string, string> = {}): Promise<CliResult> {
  const out: string[] = [];
  const err: string[] = [];
  const saved = { exitCode: process.exitCode, out: process.stdout.write, err: process.stderr.write, log: console.log, error: console.error, env: { ...process.env } };
  Object.assign(process.env, { NO_COLOR: "1" }, env);
  const text = (s: string | Uint8Array) => (typeof s === "string" ? s : new TextDecoder().decode(s));
  process.stdout.write = ((s: string | Uint8Array) => (out.push(text(s)), true)) as typeof process.stdout.write;
  process.stderr.write = ((s: string | Uint8Array) => (err.push(text(s)), true)) as typeof process.stderr.write;
  console.log = (...a: unknown[]) => void out.push(a.join(" ") + "\n");
  console.error = (...a: unknown[]) => void err.push(a.join(" ") + "\n");
  let code = 0;
  try {
    await main(argv);
  } catch (e) {
    const ex = e as { oclif?: { exit?: number }; message?: string };
    if ((e as { code?: string })?.code === "EEXIT") code = ex.oclif?.exit ?? 1;
    else {
      const { describeError } = await import("../client/errors.ts");
      const { COMMANDS } = await import("../../commands/index.ts");
      const f = describeError(e, "galaxy", Object.keys(COMMANDS));
      err.push(`Error: ${f?.message ?? ex?.message}\n`);
      code = f?.exit ?? 1;
    }
  } finally {
    process.exitCode = saved.exitCode ?? 0; // (assigning undefined does not clear it in Bun) oclif's Command.catch sets it; in-process it would become the test runner's
    process.stdout.write = saved.out;
    process.stderr.write = saved.err;
    console.log = saved.log;
    console.error = saved.error;
    for (const k of Object.keys(process.env)) if (!(k in saved.env)) delete process.env[k];
    Object.assign(process.env, saved.env);
  }
  return { code, stdout: out.join(""), stderr: err.join("") };
}

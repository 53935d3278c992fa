import { afterAll, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { completionScript, idKind, type CompletionCommand } from "./completion.ts";

const commands: CompletionCommand[] = [
  { id: "pods", flags: ["--json", "--watch -w"], arg: "job" },
  { id: "agent show", flags: ["--json"], arg: "agent" },
  { id: "agent drain", flags: [], arg: "agent" },
  { id: "jobs", flags: ["--all -a"] },
];
const dir = mkdtempSync(join(tmpdir(), "galaxy-compl-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
// a stand-in `galaxy` that answers `galaxy completion ids KIND` as the cluster would
writeFileSync(join(dir, "galaxy"), '#!/bin/sh\n[ "$1 $2" = "completion ids" ] && case "$3" in job) echo "web web-20261206-0101-abcd";; agent) echo "10.0.0.1:1646";; esac\n');
chmodSync(join(dir, "galaxy"), 0o755);

function complete(words: string[]): string[] {
  writeFileSync(join(dir, "c.sh"), completionScript("bash", "galaxy", commands));
  const arr = words.map((w) => `"${w}"`).join(" ");
  const script = `source ${dir}/c.sh; COMP_WORDS=(${arr}); COMP_CWORD=${words.length - 1}; _galaxy_complete; printf '%s\\n' "\${COMPREPLY[@]}"`;
  const r = spawnSync("bash", ["-c", script], { encoding: "utf8", env: { ...process.env, PATH: `${dir}:${process.env.PATH}` } });
  return r.stdout.split("\n").filter(Boolean).sort();
}

test("bash: commands, topics, flags, and the ids of a command's argument", () => {
  expect(complete(["galaxy", "jo"])).toEqual(["jobs"]);
  expect(complete(["galaxy", "agent", "d"])).toEqual(["drain"]);
  expect(complete(["galaxy", "pods", "--w"])).toEqual(["--watch"]);
  expect(complete(["galaxy", "pods", "w"])).toEqual(["web", "web-20261206-0101-abcd"]);
  expect(complete(["galaxy", "agent", "show", ""])).toEqual(["10.0.0.1:1646"]);
  expect(complete(["galaxy", "jobs", ""])).toEqual([]);
});

test("fish: top words, topics, flags and id lookups", () => {
  const s = completionScript("fish", "galaxy", commands);
  expect(s).toContain("complete -c galaxy -n __fish_use_subcommand -a 'pods agent jobs'\n");
  expect(s).toContain("complete -c galaxy -n '__fish_seen_subcommand_from agent' -a 'show drain'\n");
  expect(s).toContain("complete -c galaxy -n '__fish_seen_subcommand_from pods' -l watch -s w\n");
  expect(s).toContain("complete -c galaxy -n '__fish_seen_subcommand_from pods' -a '(galaxy completion ids job 2>/dev/null)'\n");
  expect([idKind("job"), idKind("pod"), idKind("endpoint"), idKind("file")]).toEqual(["job", "pod", "agent", undefined]);
});

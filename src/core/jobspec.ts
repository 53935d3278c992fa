// The job file (jobspec.md): parse YAML or JSON text, validate it against its description (jobspec-schema.ts: every
// field declared once, from which the types, key lists, reader and writer come), and normalise it into a
// JobSpec (sizes in bytes, durations in ms, every default filled in). Every problem of a file is reported at once,
// each with its path and line: "web.yaml:14 pod.tasks[0].memory.size: '256MB' is not a size; use 256M".
//
//   text --parseDocument--> YAML AST --lineMap--> path -> line
//                               |--toJS--> raw --validateJobSpec--> JobSpec | problems --> JobSpecError
//
// Defaults the design leaves open, chosen here: `type` defaults to service; `max_per_host` 0 means no limit;
// a port without `port` is dynamic; a volume's medium defaults to disk; a package's version defaults to "" and its
// dest to "." (the workspace itself); `data.reload` defaults to "" and `data.packages` to [].

import { checkFieldSizes, checkSpecText } from "./spec-limits.ts";
import { Document, isCollection, isMap, isNode, isScalar, isSeq, LineCounter, parseDocument, visit, type YAMLError } from "yaml";
import { InvalidError } from "./errors.ts";
import { checkPod, childPath, describe, JOB, type IoSpec, type JobSpec, type JobSpecProblem, NO_IO, ProblemList, readMap } from "./jobspec-schema.ts";

export * from "./jobspec-schema.ts";

/** A job file with problems; `message` lists all of them, one per line. */
export class JobSpecError extends InvalidError {
  constructor(
    readonly file: string,
    readonly problems: JobSpecProblem[],
  ) {
    super(problems.map((p) => formatProblem(file, p)).join("\n"), { file, problems: String(problems.length) });
  }
}

/** "web.yaml:14 pod.tasks[0].memory.size: '256MB' is not a size; use 256M" (file and line when known). */
export function formatProblem(file: string, p: JobSpecProblem): string {
  const where = file && p.line !== undefined ? `${file}:${p.line}` : file || (p.line !== undefined ? `line ${p.line}` : "");
  const what = p.path ? `${p.path}: ${p.message}` : p.message;
  return where ? `${where} ${what}` : what;
}

/** Parses and validates a job file (YAML, or JSON, which is YAML). Throws JobSpecError listing every problem. */
export function parseJobFile(text: string, filename = ""): JobSpec {
  checkSpecText(text, filename || "job"); // size and nesting, before the parser sees it
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, merge: true });
  const line = (offset: number) => lineCounter.linePos(offset).line;
  if (doc.errors.length > 0) {
    const message = (e: YAMLError) => (e.code === "MULTIPLE_DOCS" ? "a job file holds one YAML document; remove the extra ---" : e.message);
    throw new JobSpecError(filename, doc.errors.map((e) => ({ path: "", line: line(e.pos[0]), message: message(e) })));
  }
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 1000 });
  } catch (e) {
    throw new JobSpecError(filename, [{ path: "", message: e instanceof Error ? e.message : String(e) }]);
  }
  checkFieldSizes(raw);
  const lines = lineMap(doc.contents, line);
  const { spec, problems } = validateJobSpec(raw, (path) => lines.get(path));
  if (!spec) throw new JobSpecError(filename, sortByLine(problems));
  return spec;
}

/** The line of every key and list entry of the document, by path ("pod.tasks[0].cpu"). */
function lineMap(root: unknown, line: (offset: number) => number): Map<string, number> {
  const lines = new Map<string, number>();
  const walk = (node: unknown, path: string) => {
    if (isMap(node)) {
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        const at = childPath(path, key);
        const range = isNode(pair.key) ? pair.key.range : isNode(pair.value) ? pair.value.range : undefined;
        if (range) lines.set(at, line(range[0]));
        walk(pair.value, at);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => {
        const at = childPath(path, i);
        if (isNode(item) && item.range) lines.set(at, line(item.range[0]));
        walk(item, at);
      });
    }
  };
  walk(root, "");
  return lines;
}

/** Problems without a line (about the whole file) first, then in file order; stable within a line. */
function sortByLine(problems: JobSpecProblem[]): JobSpecProblem[] {
  return problems
    .map((p, i) => ({ p, i }))
    .sort((a, b) => (a.p.line ?? 0) - (b.p.line ?? 0) || a.i - b.i)
    .map(({ p }) => p);
}

/** Validates a parsed job file (snake_case keys of jobspec.md). `lines` maps a path to its line in the text. */
export function validateJobSpec(
  raw: unknown,
  lines?: (path: string) => number | undefined,
): { spec?: JobSpec; problems: JobSpecProblem[] } {
  const list = new ProblemList(lines);
  if (raw === undefined || raw === null) {
    list.report("", "the job file is empty");
    return { problems: list.problems };
  }
  if (typeof raw !== "object" || Array.isArray(raw)) {
    list.report("", `expected a map with ${JOB.keys.join(", ")}, got ${describe(raw)}`);
    return { problems: list.problems };
  }
  const spec = JOB.read(readMap(list, raw, "", JOB.keys));
  checkPod(list, spec.pod);
  return list.problems.length === 0 ? { spec, problems: [] } : { problems: list.problems };
}

/** A job file that parseJobFile reads back to an equal JobSpec (every field written out, optional ones when set). */
export function jobSpecToYaml(spec: JobSpec): string {
  const doc = new Document(JOB.write(spec));
  visit(doc, {
    // Small maps of scalars ({millicores: 100, excess: false}) and lists of scalars ([default]) on one line.
    Map: (_, node) => void (node.flow = node.items.every((p) => !isCollection(p.value))),
    Seq: (_, node) => void (node.flow = node.items.every((v) => !isCollection(v))),
  });
  return doc.toString({ lineWidth: 0, flowCollectionPadding: false });
}

/** A pod's io (its tasks share one cgroup): the highest weight, and the throttles summed. */
export function podIo(spec: JobSpec): IoSpec {
  const io = { ...NO_IO };
  for (const t of spec.pod.tasks) {
    io.weight = Math.max(io.weight, t.io.weight);
    io.readBps += t.io.readBps;
    io.writeBps += t.io.writeBps;
    io.readIops += t.io.readIops;
    io.writeIops += t.io.writeIops;
  }
  return io;
}

/** What one pod asks of an agent: cpu and memory of its tasks (tmpfs volumes count as memory), and storage per
 * medium (the workspace on its medium, plus the disk and ssd volumes). */
export function podResources(spec: JobSpec): { millicores: number; memory: number; disk: number; ssd: number } {
  const r = { millicores: 0, memory: 0, disk: 0, ssd: 0 };
  for (const t of spec.pod.tasks) {
    r.millicores += t.cpu.millicores;
    r.memory += t.memory.size;
  }
  r[spec.pod.workspace.medium] += spec.pod.workspace.size;
  for (const v of spec.pod.volumes) r[v.medium === "tmpfs" ? "memory" : v.medium] += v.size;
  return r;
}

// Cheap checks on a job description before it is parsed: parsing YAML costs far more than reading its bytes once, and
// a deeply nested document (a 2 MB `[[[[…` or `- - - …`) blocks the event loop or overflows the parser's stack.
// Each refusal is one sentence; the limits hold for every caller (the CLI, AppMaster's SubmitJob and UpdateJob).
import { InvalidError } from "./errors.ts";

export const MAX_SPEC_BYTES = 1024 * 1024;
export const MAX_SPEC_DEPTH = 64;
export const MAX_FIELD_BYTES = 64 * 1024;

const KIB = 1024;

/** Throws InvalidError when the text is over MAX_SPEC_BYTES or nests deeper than MAX_SPEC_DEPTH (one linear pass). */
export function checkSpecText(text: string, filename = "job"): void {
  const bytes = text.length <= MAX_SPEC_BYTES / 3 ? text.length : Buffer.byteLength(text, "utf8");
  if (bytes > MAX_SPEC_BYTES) {
    throw new InvalidError(`${filename}: the job description is ${bytes} bytes; the limit is ${MAX_SPEC_BYTES / KIB / KIB} MiB`);
  }
  const depth = nestingDepth(text, MAX_SPEC_DEPTH);
  if (depth > MAX_SPEC_DEPTH) {
    throw new InvalidError(`${filename}: the job description nests deeper than ${MAX_SPEC_DEPTH} levels`);
  }
}

/**
 * An upper bound of the YAML/JSON nesting depth: open flow brackets (outside quotes and comments) plus block levels
 * (one per indentation step, one per compact "- " or "? " on a line). Stops counting once past `stopAt`.
 */
export function nestingDepth(text: string, stopAt = Infinity): number {
  let max = 0;
  let flow = 0;
  const indents: number[] = [];
  let quote = "";
  let i = 0;
  while (i < text.length && max <= stopAt) {
    // start of a line: its indentation and compact sequence / key markers
    let col = 0;
    while (i < text.length && (text[i] === " " || text[i] === "\t")) (i++, col++);
    let compact = 0;
    if (!quote && flow === 0) {
      while ((text[i] === "-" || text[i] === "?") && (text[i + 1] === " " || text[i + 1] === "\t")) {
        compact++;
        i += 2;
        while (text[i] === " " || text[i] === "\t") i++;
      }
      const blank = i >= text.length || text[i] === "\n" || text[i] === "\r" || text[i] === "#";
      if (!blank) {
        while (indents.length > 0 && indents[indents.length - 1]! >= col) indents.pop();
        indents.push(col);
      }
    }
    for (; i < text.length && text[i] !== "\n"; i++) {
      const c = text[i]!;
      if (quote) {
        if (c === "\\" && quote === '"') i++;
        else if (c === quote) quote = "";
      } else if ((c === '"' || c === "'") && startsScalar(text, i)) quote = c;
      else if (c === "#" && (i === 0 || " \t\n".includes(text[i - 1]!))) {
        while (i < text.length && text[i] !== "\n") i++;
        break;
      } else if (c === "[" || c === "{") {
        flow++;
        max = Math.max(max, indents.length + compact + flow);
        if (max > stopAt) return max;
      } else if ((c === "]" || c === "}") && flow > 0) flow--;
    }
    max = Math.max(max, indents.length + compact + flow);
    i++;
  }
  return max;
}

/** A quote opens a quoted scalar only where a scalar starts: after a line's indentation, ": ", "- ", "[", "{" or ",". */
function startsScalar(text: string, i: number): boolean {
  let j = i - 1;
  while (j >= 0 && (text[j] === " " || text[j] === "\t")) j--;
  return j < 0 || "\n:-?[{,".includes(text[j]!);
}

/** Throws InvalidError naming the first string of the parsed description over MAX_FIELD_BYTES (a 7 MB `start`). */
export function checkFieldSizes(value: unknown, path = ""): void {
  if (typeof value === "string") {
    if (value.length > MAX_FIELD_BYTES / 3 && Buffer.byteLength(value, "utf8") > MAX_FIELD_BYTES) {
      throw new InvalidError(`${path || "a field"} is ${Buffer.byteLength(value, "utf8")} bytes; the limit is ${MAX_FIELD_BYTES / KIB} KiB`);
    }
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => checkFieldSizes(v, `${path}[${i}]`));
  } else if (value !== null && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) checkFieldSizes(v, path ? `${path}.${k}` : k);
  }
}

// allowed: a role imports its own files, the machinery and the core
import { c } from "./c.ts";
import { a } from "../core/a.ts";
export const ok = [c, a];

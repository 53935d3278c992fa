import { d } from "../agent/d.ts";
export const c = d;

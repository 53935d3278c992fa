import { c } from "../resman/c.ts";
export const b = c;

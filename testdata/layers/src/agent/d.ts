import { e } from "../bench/e.ts";
export const d = e;

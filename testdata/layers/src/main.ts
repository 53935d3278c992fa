import { ok } from "../commands/bench/ok.ts";
export const main = ok;

import { e } from "../../src/bench/e.ts";
import { sim } from "../../src/sim/s.ts";
export const ok = [e, sim];

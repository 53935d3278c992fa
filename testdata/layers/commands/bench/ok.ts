import { e } from "../../src/bench/e.ts";
import { shipped } from "../../src/bench/shipped.ts";
import { sim } from "../../src/sim/s.ts";
export const ok = [e, shipped, sim];

import { g } from "../src/testing/g.ts";
export const f = g;

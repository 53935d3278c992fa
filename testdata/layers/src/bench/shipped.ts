// shipped through commands/bench/ok.ts: must not reach test code
import { fixture } from "../resman/test-fixtures.ts";
export const shipped = fixture;

// a standalone bench script (not reachable from src/main.ts) may use test fixtures
import { fixture } from "../resman/test-fixtures.ts";
export const script = fixture;

import { b } from "../rpc/b.ts";
export const a = b;

import { b } from "../rpc/b.ts";
export const h = b;

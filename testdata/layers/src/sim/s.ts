// allowed: the simulation uses roles; `galaxy bench` ships the bench and the simulation
import { c } from "../resman/c.ts";
export const sim = c;

// deploy.profile of the job file (issue 18): `profile: {cpu: [0.2, 0.9, ...], memory: [...]}`, fractions (0..1] of
// the request at evenly spaced points of a day; a curve left out is 1 everywhere (the request); both given must have
// as many points. The scheduler sums profiled pods' curves per point instead of adding peaks. null: none.

import { custom, obj } from "./jobspec-fields.ts";
import type { MapReader } from "./jobspec-reader.ts";

/** The most points a usage profile may have (one every 5 minutes of a day). */
export const MAX_PROFILE_POINTS = 288;

export type Profile = { cpu: number[]; memory: number[] } | null;

function readCurve(m: MapReader, key: string): number[] | null {
  if (!m.has(key)) return null;
  const v = m.raw[key];
  if (!Array.isArray(v) || v.length === 0 || v.length > MAX_PROFILE_POINTS) return m.fail(key, `wants a list of 1 to ${MAX_PROFILE_POINTS} fractions of the request, e.g. [0.3, 0.3, 1, 0.6]`, null);
  const bad = v.findIndex((x) => typeof x !== "number" || !Number.isFinite(x) || x <= 0 || x > 1);
  if (bad >= 0) return m.fail(key, `point ${bad + 1} (${JSON.stringify(v[bad])}) is not a fraction of the request in (0, 1]`, null);
  return v as number[];
}

const curve = (doc: string) => custom({ read: readCurve, write: (v) => v, doc });

const CURVES = obj({
  cpu: curve("the pod's cpu over a day, as fractions of its request"),
  memory: curve("the pod's memory over a day, as fractions of its request"),
});

function readProfile(r: MapReader, key: string): Profile {
  if (!r.has(key)) return null;
  const m = r.map(key, CURVES.keys);
  const { cpu, memory } = CURVES.read(m);
  if (!cpu && !memory) return m.broken || m.has("cpu") || m.has("memory") ? null : r.fail(key, "needs cpu or memory (a list of fractions of the request)", null);
  if (cpu && memory && cpu.length !== memory.length) return m.fail("memory", `has ${memory.length} points and cpu ${cpu.length}; give both the same number`, null);
  const n = (cpu ?? memory)!.length;
  return { cpu: cpu ?? Array<number>(n).fill(1), memory: memory ?? Array<number>(n).fill(1) };
}

export const profileField = custom<Profile>({
  read: readProfile,
  write: (v) => (v ? { cpu: v.cpu, memory: v.memory } : undefined),
  omit: (v) => v === null,
  schema: CURVES,
  doc: "a usage profile: the pod's cpu and memory over a day as fractions of its request",
});

// Sizes (K M G T, powers of 1024) and durations (ms s m h), as written in job files and shown in tables.
// Parsers throw InvalidError with a message that says what to write instead: "'256MB' is not a size; use 256M".

import { InvalidError } from "./errors.ts";

const SIZE_UNITS = ["K", "M", "G", "T"] as const;
const SIZE_FACTOR: Record<string, number> = { "": 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };

/** Bytes from "256M", "1.5G", "512K", "1T", "4096" or a plain number of bytes. */
export function parseSize(s: string | number): number {
  if (typeof s === "number") {
    if (Number.isSafeInteger(s) && s >= 0) return s;
    throw new InvalidError(`${s} is not a size; use a whole number of bytes or a size like 256M`);
  }
  const m = /^(\d+(?:\.\d+)?)([KMGT]?)$/.exec(s.trim());
  if (m) {
    const bytes = Math.round(Number(m[1]) * SIZE_FACTOR[m[2]!]!);
    if (m[2] === "" && m[1]!.includes(".")) throw new InvalidError(`'${s}' is not a size; bytes are whole numbers`);
    if (Number.isSafeInteger(bytes)) return bytes;
    throw new InvalidError(`'${s}' is too large a size`);
  }
  throw new InvalidError(`'${s}' is not a size; use ${suggestSize(s)}`);
}

/** The likely meant spelling of a malformed size ("256MB", "256mb", "256 MiB" -> "256M"), or an example. */
function suggestSize(s: string): string {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt])(?:ib?|b)?\s*$/i.exec(s);
  if (m) return `${m[1]}${m[2]!.toUpperCase()}`;
  const bytes = /^\s*(\d+)\s*b(?:ytes?)?\s*$/i.exec(s);
  if (bytes) return bytes[1]!;
  return "a number with K, M, G or T, e.g. 256M";
}

/** A short human size: 0, 512, 512K, 1.5G, 256M (one decimal at most). */
export function formatSize(bytes: number): string {
  if (!Number.isFinite(bytes)) return String(bytes);
  const sign = bytes < 0 ? "-" : "";
  let v = Math.abs(bytes);
  if (v < 1024) return sign + String(Math.round(v));
  let i = 0;
  v /= 1024;
  while (i < SIZE_UNITS.length - 1 && Math.round(v * 10) / 10 >= 1024) {
    v /= 1024;
    i++;
  }
  const shown = Math.round(v * 10) / 10;
  return sign + String(shown) + SIZE_UNITS[i];
}

const DURATION_FACTOR: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION_WORDS: Record<string, string> = {
  msec: "ms", msecs: "ms", millis: "ms", millisecond: "ms", milliseconds: "ms",
  sec: "s", secs: "s", second: "s", seconds: "s",
  min: "m", mins: "m", minute: "m", minutes: "m",
  hr: "h", hrs: "h", hour: "h", hours: "h",
};

/** Milliseconds from "500ms", "30s", "5m", "1h", "1m30s", "1.5s" or a plain number of milliseconds. */
export function parseDuration(s: string | number): number {
  if (typeof s === "number") {
    if (Number.isFinite(s) && s >= 0) return Math.round(s);
    throw new InvalidError(`${s} is not a duration; use e.g. 30s, 5m or 1h30m`);
  }
  const text = s.trim();
  if (/^\d+$/.test(text)) return Number(text);
  if (text !== "" && /^(\d+(?:\.\d+)?(ms|s|m|h))+$/.test(text)) {
    let total = 0;
    for (const m of text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) total += Number(m[1]) * DURATION_FACTOR[m[2]!]!;
    return Math.round(total);
  }
  throw new InvalidError(`'${s}' is not a duration; use ${suggestDuration(text)}`);
}

/** The likely meant spelling of a malformed duration ("30sec" -> "30s", "5 minutes" -> "5m"), or examples. */
function suggestDuration(s: string): string {
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]+)$/i.exec(s);
  if (m) {
    const word = m[2]!.toLowerCase();
    const unit = DURATION_FACTOR[word] !== undefined ? word : DURATION_WORDS[word];
    if (unit) return `${m[1]}${unit}`;
  }
  return "a number with ms, s, m or h, e.g. 30s, 5m or 1h30m";
}

/** An exact, compact duration that parseDuration reads back: "0s", "500ms", "30s", "1m30s", "1h5m", "1s250ms". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  const sign = ms < 0 ? "-" : "";
  let rest = Math.round(Math.abs(ms));
  if (rest === 0) return "0s";
  let out = "";
  for (const [unit, factor] of [["h", 3_600_000], ["m", 60_000], ["s", 1000], ["ms", 1]] as const) {
    const n = Math.floor(rest / factor);
    if (n > 0) out += `${n}${unit}`;
    rest -= n * factor;
  }
  return sign + out;
}

/** How long ago `ms` (epoch ms) was, seen at `now`: "3s ago", "5m ago", "2h ago", "4d ago". A time in the
 * future (clock skew between hosts) shows as "0s ago". */
export function formatAgo(ms: number, now: number): string {
  const s = Math.max(0, Math.floor((now - ms) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86_400)}d ago`;
}

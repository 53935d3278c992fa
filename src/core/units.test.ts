import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { InvalidError } from "./errors.ts";
import { formatAgo, formatDuration, formatSize, parseDuration, parseSize } from "./units.ts";

const K = 1024;
const M = K * K;
const G = K * M;

describe("parseSize", () => {
  test.each([
    ["256M", 256 * M],
    ["1.5G", 1.5 * G],
    ["512K", 512 * K],
    ["10G", 10 * G],
    ["1T", K * G],
    ["0", 0],
    ["4096", 4096],
    [" 64M ", 64 * M],
    [0, 0],
    [1000, 1000],
    ["0.5K", 512],
  ] as const)("%p -> %p", (input, bytes) => {
    expect(parseSize(input)).toBe(bytes);
  });

  test.each([
    ["256MB", "'256MB' is not a size; use 256M"],
    ["256mb", "'256mb' is not a size; use 256M"],
    ["128Mi", "'128Mi' is not a size; use 128M"],
    ["1 GiB", "'1 GiB' is not a size; use 1G"],
    ["100 bytes", "'100 bytes' is not a size; use 100"],
    ["lots", "'lots' is not a size; use a number with K, M, G or T, e.g. 256M"],
    ["-1G", "'-1G' is not a size; use a number with K, M, G or T, e.g. 256M"],
    ["", "'' is not a size; use a number with K, M, G or T, e.g. 256M"],
    ["1.5", "'1.5' is not a size; bytes are whole numbers"],
    ["99999999T", "'99999999T' is too large a size"],
    [-5, "-5 is not a size; use a whole number of bytes or a size like 256M"],
    [1.5, "1.5 is not a size; use a whole number of bytes or a size like 256M"],
  ] as const)("%p is refused", (input, message) => {
    expect(() => parseSize(input)).toThrow(InvalidError);
    expect(() => parseSize(input)).toThrow(message);
  });
});

describe("formatSize", () => {
  test.each([
    [0, "0"],
    [512, "512"],
    [512 * K, "512K"],
    [256 * M, "256M"],
    [1.5 * G, "1.5G"],
    [10 * G, "10G"],
    [K * G, "1T"],
    [2048 * K * G, "2048T"],
    [1023 * K + 100, "1023.1K"],
    [M - 1, "1M"],
    [1.25 * G, "1.3G"],
  ])("%p -> %p", (bytes, text) => {
    expect(formatSize(bytes)).toBe(text);
  });

  test("sizes with one decimal at most read back exactly", () => {
    const sized = fc.tuple(fc.integer({ min: 1, max: 10230 }), fc.constantFrom(K, M, G));
    fc.assert(
      fc.property(sized, ([tenths, unit]) => {
        const bytes = (tenths * unit) / 10;
        fc.pre(Number.isInteger(bytes));
        expect(parseSize(formatSize(bytes))).toBe(bytes);
      }),
      { seed: 42, numRuns: 300 },
    );
  });
});

describe("parseDuration", () => {
  test.each([
    ["500ms", 500],
    ["30s", 30_000],
    ["5m", 300_000],
    ["1h", 3_600_000],
    ["1m30s", 90_000],
    ["1h5m10s250ms", 3_910_250],
    ["1.5s", 1500],
    ["0s", 0],
    ["0", 0],
    ["250", 250],
    [250, 250],
  ] as const)("%p -> %p", (input, ms) => {
    expect(parseDuration(input)).toBe(ms);
  });

  test.each([
    ["30sec", "'30sec' is not a duration; use 30s"],
    ["5 minutes", "'5 minutes' is not a duration; use 5m"],
    ["2hrs", "'2hrs' is not a duration; use 2h"],
    ["10S", "'10S' is not a duration; use 10s"],
    ["1d", "'1d' is not a duration; use a number with ms, s, m or h, e.g. 30s, 5m or 1h30m"],
    ["soon", "'soon' is not a duration; use a number with ms, s, m or h, e.g. 30s, 5m or 1h30m"],
    ["", "'' is not a duration; use a number with ms, s, m or h, e.g. 30s, 5m or 1h30m"],
    [-1, "-1 is not a duration; use e.g. 30s, 5m or 1h30m"],
  ] as const)("%p is refused", (input, message) => {
    expect(() => parseDuration(input)).toThrow(InvalidError);
    expect(() => parseDuration(input)).toThrow(message);
  });
});

describe("formatDuration", () => {
  test.each([
    [0, "0s"],
    [500, "500ms"],
    [30_000, "30s"],
    [90_000, "1m30s"],
    [3_600_000, "1h"],
    [3_910_250, "1h5m10s250ms"],
    [1500, "1s500ms"],
    [100 * 3_600_000, "100h"],
  ])("%p -> %p", (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  test("reads back exactly", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 ** 10 }), (ms) => {
        expect(parseDuration(formatDuration(ms))).toBe(ms);
      }),
      { seed: 7, numRuns: 500 },
    );
  });
});

describe("formatAgo", () => {
  const now = 1_800_000_000_000;
  test.each([
    [0, "0s ago"],
    [999, "0s ago"],
    [3_000, "3s ago"],
    [59_999, "59s ago"],
    [60_000, "1m ago"],
    [5 * 60_000 + 59_000, "5m ago"],
    [2 * 3_600_000, "2h ago"],
    [23 * 3_600_000 + 3_599_000, "23h ago"],
    [4 * 86_400_000 + 5_000, "4d ago"],
    [-5_000, "0s ago"], // in the future: clock skew
  ])("%p ms before now -> %p", (age, text) => {
    expect(formatAgo(now - age, now)).toBe(text);
  });
});

// Typed flags every command shares: durations and sizes are parsed (and refused with one sentence, exit 2) by oclif
// before the command runs, so a bad `--timeout 5x` never reaches a request.
import { Flags } from "@oclif/core";
import { parseDuration, parseSize } from "../src/core/units.ts";

const checked = <T>(parse: (s: string) => T) => async (input: string): Promise<T> => parse(input);

/** A duration flag ("90s", "5m", "1h30m"); the value is milliseconds. */
export const durationFlag = Flags.custom<number>({ parse: checked(parseDuration), helpValue: "DURATION" });

/** A size flag ("512M", "2G"); the value is bytes. */
export const sizeFlag = Flags.custom<number>({ parse: checked(parseSize), helpValue: "SIZE" });

// Typed flags every command shares: durations and sizes are parsed (and refused with one sentence, exit 2) by oclif
// before the command runs, so a bad `--timeout 5x` never reaches a request.
import { Flags } from "@oclif/core";
import { InvalidError } from "../src/core/errors.ts";
import { parseDuration, parseSize } from "../src/core/units.ts";

const checked = <T>(parse: (s: string) => T) => async (input: string): Promise<T> => parse(input);

/** A duration flag ("90s", "5m", "1h30m"); the value is milliseconds. */
export const durationFlag = Flags.custom<number>({ parse: checked(parseDuration), helpValue: "DURATION" });

/** A size flag ("512M", "2G"); the value is bytes. */
export const sizeFlag = Flags.custom<number>({ parse: checked(parseSize), helpValue: "SIZE" });

/** A moment: a duration back from now ("10m") or a time ("2026-12-06T10:00:00Z"); the value is ms since the epoch. */
export const sinceFlag = Flags.custom<number>({
  helpValue: "DURATION|TIME",
  parse: async (s: string) => {
    if (/^\d{4}-\d\d-\d\d/.test(s)) {
      const t = Date.parse(s);
      if (Number.isNaN(t)) throw new InvalidError(`'${s}' is not a time; use e.g. 2026-12-06T10:00:00Z`);
      return t;
    }
    return Date.now() - parseDuration(s);
  },
});

/** `-f FILE`: the job file of submit, apply and plan. */
export const jobFileFlag = () => Flags.string({ char: "f", description: "job file (YAML or JSON); - reads stdin", required: true });

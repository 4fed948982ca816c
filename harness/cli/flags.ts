// Options shared by the subcommands, checked as commander parses them: a bad value stops
// the command before anything is built or booted (exit 2), and commander's message names
// the flag and the value ("option '-j, --jobs <n>' argument 'abc' is invalid. ...").
import { InvalidArgumentError, Option } from 'commander';

/** A whole number from `min` to `max`, written in decimal digits (no sign, no exponent). */
export function parseIntFlag(min: number, max: number): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!/^\d+$/.test(v) || !Number.isSafeInteger(n) || n < min || n > max) throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}`);
    return n;
  };
}

/** A percentage: a non-negative decimal number, e.g. 5 or 2.5. */
export function parsePercentFlag(v: string): number {
  if (!/^\d+(\.\d+)?$/.test(v)) throw new InvalidArgumentError('expected a percentage, e.g. 5 or 2.5');
  return Number(v);
}

export interface Shard {
  index: number;
  count: number;
}

/** --shard I/N: slice I of N, 1 <= I <= N. */
export function parseShard(v: string): Shard {
  const m = /^([1-9][0-9]*)\/([1-9][0-9]*)$/.exec(v);
  if (!m || Number(m[1]) > Number(m[2])) throw new InvalidArgumentError('expected I/N with 1 <= I <= N, e.g. --shard 2/4');
  return { index: Number(m[1]), count: Number(m[2]) };
}

/**
 * An option taking a whole number from `min` to `max`: an absurd value (--jobs 100000,
 * --memory past any host) is bad input before anything is fetched or booted.
 */
export function intOption(flags: string, description: string, min: number, max: number, dflt: number): Option {
  return new Option(flags, `${description} (${min} to ${max})`).argParser(parseIntFlag(min, max)).default(dflt);
}

/** The upper limits of the numeric flags. */
export const FLAG_MAX = { jobs: 64, kernelJobs: 16, retries: 10 } as const;

/** An option taking one of `choices` (commander checks them and --help lists them). */
export function choiceOption<T extends string>(flags: string, description: string, choices: readonly T[], dflt: T): Option {
  return new Option(flags, description).choices(choices).default(dflt);
}

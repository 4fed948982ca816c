// Files the harness reads because a user named them or put them beside a scenario
// (scenarios, recipes and their neighbours, policies, goldens, program sources and the
// headers beside them, saved results): regular files only, checked before they are
// opened, and no larger than a limit. Opening a FIFO blocks until a writer comes, with
// the event loop (SIGTERM's handler included) stuck behind it; a device never ends.
import { closeSync, constants, fstatSync, openSync, readSync, statSync, type Stats } from 'node:fs';
import { BadInputError, displayPath } from './errors.js';

/** Scenario, recipe and policy files past this are refused before parsing (a 50 MB file took the harness to 4 GB). */
export const MAX_INPUT_BYTES = 1 << 20;

export type InputFileFault = 'missing' | 'not-regular' | 'too-big' | 'unreadable';

export class InputFileError extends Error {
  constructor(readonly file: string, readonly fault: InputFileFault, message: string) {
    super(message);
  }
}

function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** "1 MiB (1048576 bytes)", "16 MiB (16777216 bytes)". */
export const describeLimit = (limit: number) => `${limit % (1 << 20) === 0 ? `${limit >> 20} MiB` : `${limit} bytes`} (${limit} bytes)`;

function refuse(file: string, st: Stats, limit: number): InputFileError | undefined {
  if (!st.isFile()) return new InputFileError(file, 'not-regular', `is ${kindOf(st)}, not a regular file`);
  if (st.size > limit) return new InputFileError(file, 'too-big', `is ${st.size} bytes, over the limit of ${describeLimit(limit)}`);
  return undefined;
}

/** Why the file would not be read (through symlinks), without opening it; undefined when it would. */
export function inputFileProblem(file: string, limit = MAX_INPUT_BYTES): InputFileError | undefined {
  let st: Stats;
  try {
    st = statSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? String(e);
    return new InputFileError(file, code === 'ENOENT' ? 'missing' : 'unreadable', `cannot be read (${code})`);
  }
  return refuse(file, st, limit);
}

/**
 * The file's bytes, when it is a regular file (after symlinks) of at most `limit` bytes;
 * an InputFileError otherwise. Checked before the open, opened without blocking (a FIFO
 * swapped in after the check does not hang it) and checked again on the open file, and
 * read no further than the limit (a file that grows meanwhile is too big, not a hang).
 */
export function readInputFile(file: string, limit = MAX_INPUT_BYTES): Buffer {
  const before = inputFileProblem(file, limit);
  if (before) throw before;
  let fd: number | undefined;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
    const after = refuse(file, fstatSync(fd), limit);
    if (after) throw after;
    const chunks: Buffer[] = [];
    let n = 0;
    while (n <= limit) {
      const chunk = Buffer.alloc(Math.min(64 * 1024, limit + 1 - n));
      const got = readSync(fd, chunk, 0, chunk.length, null);
      if (got === 0) break;
      chunks.push(chunk.subarray(0, got));
      n += got;
    }
    if (n > limit) throw new InputFileError(file, 'too-big', `is more than ${limit} bytes, over the limit of ${describeLimit(limit)}`);
    return Buffer.concat(chunks, n);
  } catch (e) {
    if (e instanceof InputFileError) throw e;
    throw new InputFileError(file, 'unreadable', `cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** readInputFile as UTF-8 text. */
export const readInputText = (file: string, limit = MAX_INPUT_BYTES): string => readInputFile(file, limit).toString('utf8');

/** Limits for the other files users hand the harness (README "Limits"). */
export const INPUT_LIMITS = {
  /** A program or selftest source, and each header beside it. */
  source: 16 << 20,
  /** A golden log: a step keeps at most 16 MiB of output, and normalizing only shortens it. */
  golden: 16 << 20,
  /** A patch or mbox of a series, a config fragment or base .config. */
  patch: 64 << 20,
  /** A saved results.json (a corpus run's results are tens of MB). */
  results: 512 << 20,
  /** An SSH private key. */
  key: 1 << 20,
} as const;

/** readInputFile, with what is wrong as bad input (exit 2) naming the file. */
export function readUserFile(file: string, limit: number, hint = 'check the path'): Buffer {
  try {
    return readInputFile(file, limit);
  } catch (e) {
    if (!(e instanceof InputFileError)) throw e;
    const why = e.fault === 'not-regular' ? 'name a regular file (a FIFO, device or socket is not read)' : e.fault === 'too-big' ? 'check that the path names the file you meant' : hint;
    throw new BadInputError(`${displayPath(file)}: ${e.message}`, { file, hint: why });
  }
}

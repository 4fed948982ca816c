// Errors that decide the exit code: bad input (2) and infrastructure (3).
import path from 'node:path';

export interface Position {
  file?: string;
  /** 1-based */
  line?: number;
  /** 1-based */
  col?: number;
  hint?: string;
}

/** One problem found in an input file. */
export interface Problem {
  file: string;
  line: number;
  col: number;
  message: string;
  hint?: string;
}

/** Paths inside the cwd are shown relative so messages stay short and clickable. */
export function displayPath(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file;
}

/** `file:line:col: error: message` plus an indented hint line. */
export function formatProblem(p: Problem): string {
  const where = `${displayPath(p.file)}${p.line > 0 ? `:${p.line}:${p.col}` : ''}: `;
  return `${where}error: ${p.message}` + (p.hint ? `\n  hint: ${p.hint}` : '');
}

/** At most this many problems of one file are listed: past it, the rest is counted. */
export const MAX_PROBLEMS_PER_FILE = 50;

/** Each file's problems (in the order given): its first MAX_PROBLEMS_PER_FILE formatted, then how many more. */
export function formatProblems(problems: Problem[]): string {
  const total = new Map<string, number>();
  for (const p of problems) total.set(p.file, (total.get(p.file) ?? 0) + 1);
  const seen = new Map<string, number>();
  const lines: string[] = [];
  for (const p of problems) {
    const n = (seen.get(p.file) ?? 0) + 1;
    seen.set(p.file, n);
    if (n <= MAX_PROBLEMS_PER_FILE) lines.push(formatProblem(p));
    else if (n === MAX_PROBLEMS_PER_FILE + 1) {
      const more = total.get(p.file)! - MAX_PROBLEMS_PER_FILE;
      lines.push(`${displayPath(p.file)}: ${more} more problem${more === 1 ? '' : 's'} not listed (fix the first ${MAX_PROBLEMS_PER_FILE} and run again)`);
    }
  }
  return lines.join('\n');
}

/** The user's input is wrong (usage, YAML, unknown kernel): exit 2, nothing changed. */
export class BadInputError extends Error {
  readonly file?: string;
  readonly line?: number;
  readonly col?: number;
  readonly hint?: string;
  /** Every problem, in file order, when built by fromProblems; the fields above are the first's. */
  readonly problems: Problem[] = [];

  /** The message is used as given. */
  constructor(message: string, pos: Position = {}) {
    super(message);
    this.name = 'BadInputError';
    this.file = pos.file;
    this.line = pos.line;
    this.col = pos.col;
    this.hint = pos.hint;
  }

  /** One formatted error (and hint) per problem, at most MAX_PROBLEMS_PER_FILE a file; problems must not be empty. */
  static fromProblems(problems: Problem[]): BadInputError {
    const first = problems[0];
    if (!first) throw new Error('BadInputError.fromProblems: no problems');
    const err = new BadInputError(formatProblems(problems), first);
    err.problems.push(...problems);
    return err;
  }
}

/** Something under the harness broke (no boot, SSH lost, download failed): exit 3. */
export class InfraError extends Error {
  consoleTail?: string;

  constructor(message: string, consoleTail?: string) {
    super(message);
    this.consoleTail = consoleTail;
    this.name = 'InfraError';
  }
}

/**
 * The kernel did not come up while QEMU ran fine: it crashed in boot, reset, or never
 * reached SSH. The kernel's fault, not the machine's: its scenarios fail (exit 1) as
 * `boot failed: TITLE`, and compare and bisect show that as a verdict of its own.
 */
export class BootError extends Error {
  constructor(
    /** The crash title the crash policy found on the console, or what was seen instead. */
    readonly title: string,
    message: string,
    readonly consoleTail?: string,
    /** Boots that failed so: a backend that already booted again says 2, and is not asked once more. */
    public tries = 1,
  ) {
    super(message);
    this.name = 'BootError';
  }
}

// Error classes the CLI maps to exit codes: BadInputError -> 2, InfraError -> 3.
import path from 'node:path';

/** One problem in an input file; line/col are 1-based, 0 when unknown. */
export interface Problem {
  file: string;
  line: number;
  col: number;
  message: string;
  hint?: string;
}

/** Paths inside the cwd are shown relative so messages stay short and clickable. */
export function displayPath(file: string): string {
  if (!file) return '';
  const rel = path.relative(process.cwd(), file);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file;
}

function formatProblem(p: Problem): string {
  const where = p.file ? `${displayPath(p.file)}${p.line > 0 ? `:${p.line}:${p.col}` : ''}: ` : '';
  return `${where}error: ${p.message}` + (p.hint ? `\n  hint: ${p.hint}` : '');
}

/** Bad input (usage, YAML, schema, unknown kernel): exit code 2. */
export class BadInputError extends Error {
  readonly file: string;
  readonly line: number;
  readonly col: number;
  readonly hint: string;
  /** Every problem found, in file order; the fields above describe the first. */
  readonly problems: Problem[];

  constructor(message: string, opts: Partial<Omit<Problem, 'message'>> = {}) {
    const first: Problem = { file: opts.file ?? '', line: opts.line ?? 0, col: opts.col ?? 0, message, hint: opts.hint };
    super(formatProblem(first));
    this.name = 'BadInputError';
    this.file = first.file;
    this.line = first.line;
    this.col = first.col;
    this.hint = first.hint ?? '';
    this.problems = [first];
  }

  /** One error line (plus its hint line) per problem; problems must be non-empty. */
  static fromProblems(problems: Problem[]): BadInputError {
    const [first, ...rest] = problems;
    if (!first) throw new Error('BadInputError.fromProblems: no problems');
    const err = new BadInputError(first.message, first);
    err.message = problems.map(formatProblem).join('\n');
    err.problems.push(...rest);
    return err;
  }
}

/** The machinery failed (no boot, SSH lost, QEMU died): exit code 3. */
export class InfraError extends Error {
  /** Last lines of the guest console, when a guest was involved. */
  consoleTail?: string;

  constructor(message: string, opts: { consoleTail?: string; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'InfraError';
    if (opts.consoleTail !== undefined) this.consoleTail = opts.consoleTail;
  }
}

// Read a results.json back (report merge): any problem is bad input naming the file,
// with line:col for JSON syntax errors and for values of the wrong shape.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import { BadInputError, type Problem } from '../errors.js';
import { lineCol, scanJson, type JsonPath } from './json-locate.js';
import type { RunResult } from './model.js';
import { runResultSchema } from './schema.js';

const RESULTS_HINT = 'pass the results.json files that `bpf-harness run --out DIR` wrote';
// A file of the wrong shape gets this many problems listed; the rest are counted.
const MAX_PROBLEMS = 5;

/** Read and validate one results.json; throws a BadInputError built from problems. */
export function readRunResult(file: string): RunResult {
  const abs = path.resolve(file);
  const src = readText(abs);
  let data: unknown;
  try {
    data = JSON.parse(src);
  } catch (e) {
    const found = scanJson(src).error;
    // The scanner agrees with JSON.parse on what is JSON; the fallback is belt and braces.
    const offset = found?.offset ?? src.length;
    const message = found?.message ?? (e as Error).message.split('\n')[0];
    throw BadInputError.fromProblems([{ file: abs, ...lineCol(src, offset), message: `invalid JSON: ${message}`, hint: RESULTS_HINT }]);
  }
  const parsed = runResultSchema.safeParse(data);
  if (parsed.success) return parsed.data;
  throw BadInputError.fromProblems(shapeProblems(abs, src, data, parsed.error.issues));
}

function readText(abs: string): string {
  try {
    // A byte order mark is not JSON, but an editor may have added one.
    return readFileSync(abs, 'utf8').replace(/^\ufeff/, '');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const [message, hint] =
      code === 'ENOENT' ? ['no such file', RESULTS_HINT]
      : code === 'EISDIR' ? ['is a directory', `pass ${path.join(abs, 'results.json')}`]
      : [`cannot read the file (${code ?? String(e)})`, RESULTS_HINT];
    throw BadInputError.fromProblems([{ file: abs, line: 0, col: 0, message, hint }]);
  }
}

function shapeProblems(abs: string, src: string, data: unknown, issues: z.core.$ZodIssue[]): Problem[] {
  const shown = issues.slice(0, MAX_PROBLEMS).map((iss) => describeIssue(iss, data));
  const offsets = scanJson(src, shown.map((s) => s.at)).offsets;
  const problems: Problem[] = shown.map((s, n) => ({ file: abs, ...lineCol(src, offsets[n] ?? 0), message: s.message }));
  const more = issues.length - MAX_PROBLEMS;
  if (more > 0) problems.push({ file: abs, line: 0, col: 0, message: `${more} more problem${more > 1 ? 's' : ''} like these` });
  // One hint, after the last problem.
  problems[problems.length - 1]!.hint = `not a results.json of this version? ${RESULTS_HINT}`;
  return problems;
}

function describeIssue(iss: z.core.$ZodIssue, data: unknown): { at: JsonPath; message: string } {
  const p = iss.path as JsonPath;
  const value = get(data, p);
  const where = p.length ? dotted(p) : 'the file';
  // A missing key has no position of its own: point at the object that lacks it.
  if (iss.code === 'invalid_type' && value === undefined && p.length) {
    const parent = p.slice(0, -1);
    return { at: parent, message: `${parent.length ? dotted(parent) : 'the top level'}: missing "${String(p[p.length - 1])}"` };
  }
  if (iss.code === 'invalid_type') {
    const expected = p.length ? (EXPECTED[iss.expected] ?? iss.expected) : 'an object (a RunResult)';
    return { at: p, message: `${where}: expected ${expected}, got ${kind(value)}` };
  }
  if (iss.code === 'invalid_value') return { at: p, message: `${where}: expected one of ${iss.values.map(String).join(', ')}, got ${JSON.stringify(value)}` };
  if (iss.code === 'too_small') {
    const expected = iss.origin === 'string' ? 'a non-empty string' : `a number >= ${String(iss.minimum)}`;
    return { at: p, message: `${where}: expected ${expected}, got ${JSON.stringify(value)}` };
  }
  return { at: p, message: `${where}: ${iss.message}` };
}

function get(data: unknown, p: JsonPath): unknown {
  return p.reduce<unknown>((v, k) => (v !== null && typeof v === 'object' ? (v as Record<string | number, unknown>)[k] : undefined), data);
}

const EXPECTED: Record<string, string> = {
  object: 'an object', array: 'an array', string: 'a string', number: 'a number', int: 'an integer', boolean: 'true or false',
};
const dotted = (p: JsonPath) => p.map((k, n) => (typeof k === 'number' ? `[${k}]` : n ? `.${k}` : k)).join('');
const kind = (v: unknown) => (Array.isArray(v) ? 'an array' : v !== null && typeof v === 'object' ? 'an object' : JSON.stringify(v));

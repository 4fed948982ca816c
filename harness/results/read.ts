// Read a results.json back (report merge): any problem is bad input naming the file,
// with line:col for JSON syntax errors and for values of the wrong shape.
import { statSync } from 'node:fs';
import { InputFileError, INPUT_LIMITS, readInputText } from '../../common/input-file.js';
import path from 'node:path';
import type { z } from 'zod';
import { BadInputError, type Problem } from '../../common/errors.js';
import { LineCounter, parseDocument, visit, type Document, type Node } from 'yaml';
import type { RunResult } from './model.js';
import { runResultSchema } from './schema.js';

const RESULTS_HINT = 'pass the results.json files that `bpf-harness run --out DIR` wrote';
// A file of the wrong shape gets this many problems listed; the rest are counted.
const MAX_PROBLEMS = 5;

/** Read and validate one results.json; throws a BadInputError built from problems. */
export function readRunResult(file: string): RunResult {
  const abs = path.resolve(file);
  const src = readText(abs);
  // JSON.parse decides what is JSON; the yaml parser (JSON is YAML) keeps the positions
  // that Node 20's JSON.parse does not always name, and that zod issues never have.
  const lines = new LineCounter();
  const doc = parseDocument(src, { lineCounter: lines, prettyErrors: false });
  let data: unknown;
  try {
    data = JSON.parse(src);
  } catch (e) {
    const message = (e as Error).message.replace(/ in JSON at position \d+.*$/s, '').replace(/, ".*" is not valid JSON$/s, '');
    const offset = syntaxErrorOffset((e as Error).message, doc, src);
    throw BadInputError.fromProblems([{ file: abs, ...lines.linePos(offset), message: `invalid JSON: ${message}`, hint: RESULTS_HINT }]);
  }
  const parsed = runResultSchema.safeParse(data);
  if (parsed.success) return parsed.data;
  throw BadInputError.fromProblems(shapeProblems(abs, doc, lines, data, parsed.error.issues));
}

/** Where JSON.parse stopped: its own "at position N", else the YAML parser's first error, else a bare word (valid YAML, not JSON). */
function syntaxErrorOffset(message: string, doc: Document, src: string): number {
  const at = /at position (\d+)/.exec(message);
  if (at) return Number(at[1]);
  const yamlError = doc.errors[0];
  if (yamlError) return yamlError.pos[0];
  let bare: number | undefined;
  visit(doc, {
    Scalar(_, node) {
      if (node.type === 'PLAIN' && typeof node.value === 'string' && node.range) {
        bare = node.range[0];
        return visit.BREAK;
      }
      return undefined;
    },
  });
  return bare ?? src.length;
}

const isDir = (p: string) => {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
};

function readText(abs: string): string {
  try {
    // A byte order mark is not JSON, but an editor may have added one.
    return readInputText(abs, INPUT_LIMITS.results).replace(/^\ufeff/, '');
  } catch (e) {
    if (!(e instanceof InputFileError)) throw e;
    const [message, hint] =
      e.fault === 'missing' ? ['no such file', RESULTS_HINT]
      : isDir(abs) ? ['is a directory', `pass ${path.join(abs, 'results.json')}`]
      : e.fault === 'unreadable' ? [`cannot read the file ${/\(.*\)/.exec(e.message)?.[0] ?? ''}`.trim(), RESULTS_HINT]
      : [`the file ${e.message}`, RESULTS_HINT];
    throw BadInputError.fromProblems([{ file: abs, line: 0, col: 0, message, hint }]);
  }
}

function shapeProblems(abs: string, doc: Document, lines: LineCounter, data: unknown, issues: z.core.$ZodIssue[]): Problem[] {
  const shown = issues.slice(0, MAX_PROBLEMS).map((iss) => describeIssue(iss, data));
  const problems: Problem[] = shown.map((s) => {
    const node = doc.getIn(s.at, true) as Node | undefined;
    return { file: abs, ...(node?.range ? lines.linePos(node.range[0]) : { line: 0, col: 0 }), message: s.message };
  });
  const more = issues.length - MAX_PROBLEMS;
  if (more > 0) problems.push({ file: abs, line: 0, col: 0, message: `${more} more problem${more > 1 ? 's' : ''} like these` });
  // One hint, after the last problem.
  problems[problems.length - 1]!.hint = `not a results.json of this version? ${RESULTS_HINT}`;
  return problems;
}

type JsonPath = (string | number)[];

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

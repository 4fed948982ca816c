// YAML file -> validated value, or a BadInputError with file:line:col for every problem:
// scenario files, kernel recipes and the crash policy all load through here. zod
// validates the plain data; the YAML node tree (kept with ranges) gives positions.
import path from 'node:path';
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { z } from 'zod';
import { BadInputError, type Problem } from './errors.js';
import { InputFileError, MAX_INPUT_BYTES, readInputText } from './input-file.js';
import { binaryProblem, keyProblems, toData, type Found } from './yaml-checks.js';

export type Path = (string | number)[];
/** Where the value at a path is written (with key: its key, for a mapping entry). */
export type Locate = (p: Path, opts?: { key?: boolean }) => { line: number; col: number };
/** What a schema's custom issues may carry for the positions and hints. */
export interface IssueParams {
  hint?: string;
  /** Point at the key of the last path segment instead of its value. */
  at?: 'key';
}

/** A strict object whose unknown-key issues carry the known keys (the loader shows them). */
export function strict<T extends z.core.$ZodLooseShape>(shape: T) {
  const known = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (iss) => (iss.code === 'unrecognized_keys' ? `known: ${known}` : undefined),
  });
}

export interface YamlLoadOptions {
  /** Named in hints, e.g. "scenarios/schema.json". */
  schemaRef: string;
  /** Hints for the schema's format messages (zod's format issues carry no params). */
  hints?: Record<string, string>;
  /** How to name the thing at a path in messages; default: the dotted path. */
  subject?: (p: Path, data: unknown) => string;
}

type Issue = z.core.$ZodIssue;

export { MAX_INPUT_BYTES };

/** The file's text: a regular file of at most MAX_INPUT_BYTES (common/input-file.ts), else bad input naming it. */
function readInput(abs: string): string {
  try {
    return readInputText(abs, MAX_INPUT_BYTES);
  } catch (e) {
    if (!(e instanceof InputFileError)) throw e;
    const problem = (message: string, hint: string) => BadInputError.fromProblems([{ file: abs, line: 0, col: 0, message, hint }]);
    if (e.fault === 'too-big') throw problem(`the file ${e.message} for scenario, recipe and policy files`, 'check that the path names the file you meant; split a larger one');
    if (e.fault === 'not-regular') throw problem(`the file ${e.message}`, 'name a regular file (a FIFO, device or socket is not read)');
    throw problem(`cannot read the file (${/\((\w+)\)/.exec(e.message)?.[1] ?? e.message})`, 'check the path');
  }
}

/** Read, parse and validate a YAML file; the schema gets a locate() for node positions. */
export function loadYamlFile<T>(file: string, makeSchema: (locate: Locate) => z.ZodType<T>, opts: YamlLoadOptions): T {
  const abs = path.resolve(file);
  const src = readInput(abs);

  const lineCounter = new LineCounter();
  const doc = parseDocument(src, { lineCounter, prettyErrors: false });
  const at = (offset: number) => lineCounter.linePos(offset);
  const problem = (f: Found): Problem => ({ file: abs, ...at(f.offset), message: f.message, hint: f.hint });
  // Binary input makes the YAML errors noise: say that alone.
  const binary = binaryProblem(src);
  if (binary) throw BadInputError.fromProblems([problem(binary)]);
  // Warnings (an unknown tag, a %YAML 2.0 directive) would leave a value other than the
  // one written: errors here, like the rest.
  const syntax = [...doc.errors, ...doc.warnings].map((e) =>
    problem({ offset: e.pos[0], message: `invalid YAML: ${yamlMessage(e.code, e.message)}`, hint: yamlHint(e.code, e.message) }),
  );
  syntax.push(...keyProblems(doc).map(problem));
  if (syntax.length > 0) throw BadInputError.fromProblems(sortUnique(syntax));

  const locate: Locate = (p, opts) => {
    const { node, keyNode } = find(doc, p);
    const target = opts?.key ? keyNode ?? node : node ?? keyNode;
    return target?.range ? at(target.range[0]) : { line: 1, col: 1 };
  };
  const js = toData(doc);
  if ('problem' in js) throw BadInputError.fromProblems([problem(js.problem)]);
  const data = js.data;
  const result = makeSchema(locate).safeParse(data);
  if (result.success) return result.data;

  const subject = opts.subject ?? ((p: Path) => dotted(p));
  const problems = result.error.issues.flatMap((iss) => translate(iss, [], { doc, data, subject, schemaRef: opts.schemaRef, hints: opts.hints ?? {}, at, file: abs }));
  throw BadInputError.fromProblems(sortUnique(problems));
}

// The yaml package's own words, except where they speak to its API users.
function yamlMessage(code: string, message: string): string {
  return code === 'MULTIPLE_DOCS' ? 'more than one document (a "---" line starts another)' : message;
}

// The yaml package's codes are coarse (BAD_INDENT covers unclosed brackets too), so
// the message picks the hint where it says more.
function yamlHint(code: string, message: string): string {
  if (code === 'TAG_RESOLVE_FAILED') return 'remove the tag (the "!..." before the value): plain YAML values need none';
  if (code === 'BAD_DIRECTIVE') return 'remove the "%" directive line';
  if (/call stack/i.test(message)) return 'the file nests too deeply: flatten it';
  if (code === 'TAB_AS_INDENT' || /\btab/i.test(message)) return 'indent with spaces; YAML does not allow tabs there';
  if (/flow (sequence|mapping|collection)/i.test(message)) return 'close the [ or { on this value, and indent any continuation lines';
  if (/quote/i.test(message)) return 'close the quote';
  if (code === 'DUPLICATE_KEY') return 'a key may appear once per mapping: remove or rename one';
  if (code === 'MULTIPLE_DOCS') return 'one YAML document per file: remove the "---" separator';
  if (code === 'BLOCK_AS_IMPLICIT_KEY') return 'put a nested mapping on its own lines, or quote a value that contains ": "';
  if (code === 'BAD_INDENT' || /indent|indicator/i.test(message))
    return 'line up the keys of one mapping in one column; list items start with "- "';
  return 'fix the YAML syntax; quote values that contain ": " or " #"';
}

interface Ctx {
  doc: Document;
  data: unknown;
  subject: (p: Path, data: unknown) => string;
  schemaRef: string;
  hints: Record<string, string>;
  at: (offset: number) => { line: number; col: number };
  file: string;
}

function translate(iss: Issue, prefix: Path, c: Ctx): Problem[] {
  const p: Path = [...prefix, ...(iss.path as Path)];
  const params = ('params' in iss ? iss.params : undefined) as IssueParams | undefined;
  const pos = (q: Path, key = false) => position(c, q, key);
  const subj = (q: Path) => c.subject(q, c.data);
  const one = (message: string, hint: string | undefined, where = pos(p)): Problem[] => [
    { file: c.file, ...where, message, hint: hint ?? c.hints[iss.message] ?? `see ${c.schemaRef}` },
  ];

  // A required key that is absent (zod reports a type or union mismatch on undefined).
  const last = p[p.length - 1];
  if ((iss.code === 'invalid_type' || iss.code === 'invalid_union') && typeof last === 'string' && get(c.data, p) === undefined) {
    const parent = p.slice(0, -1);
    return one(
      `missing key "${last}"${parent.length ? ` in ${subj(parent)}` : ' at top level'}`,
      `add "${last}:" (${c.schemaRef} describes it)`,
      pos(parent),
    );
  }

  switch (iss.code) {
    case 'unrecognized_keys': {
      const known = iss.message.startsWith('known: ') ? ` (${iss.message})` : '';
      return iss.keys.flatMap((k) =>
        one(
          `unknown ${p.length ? `key "${k}" in ${subj(p)}` : `top-level key "${k}"`}${known}`,
          `remove it or fix its spelling; ${c.schemaRef} lists the keys`,
          pos([...p, k], true),
        ),
      );
    }
    case 'invalid_type': {
      const value = get(c.data, p);
      if (p.length === 0 && value == null) return one('the file is empty', `start with "name:" (${c.schemaRef} describes the format)`);
      const expected = EXPECTED[iss.expected] ?? iss.expected;
      return one(`${subj(p) || 'the file'}: expected ${expected}, got ${describe(value)}`, `write ${expected} here`);
    }
    case 'invalid_value': {
      const values = iss.values.map(String).join(', ');
      return one(`${subj(p)}: expected one of ${values}, got ${describe(get(c.data, p))}`, `write one of ${values}`);
    }
    case 'invalid_union': {
      // The branch whose shape matched has no issue at its root; follow it if unique.
      const matched = iss.errors.filter((errs) => errs.every((e) => e.path.length > 0));
      if (matched.length === 1) return matched[0]!.flatMap((e) => translate(e, p, c));
      return one(`${subj(p)}: ${iss.message}, got ${describe(get(c.data, p))}`, c.hints[iss.message] ?? `see ${c.schemaRef}`);
    }
    case 'invalid_format':
      return one(`${subj(p)}: ${iss.message}, got ${describe(get(c.data, p))}`, params?.hint);
    case 'invalid_key': {
      const key = p[p.length - 1];
      return iss.issues.flatMap((inner) =>
        one(`${subj(p.slice(0, -1))}: key "${String(key)}": ${inner.message}`, c.hints[inner.message], pos(p, true)),
      );
    }
    case 'too_small': {
      const empty = iss.minimum === 1 && (iss.origin === 'string' || iss.origin === 'array');
      const message = iss.message.startsWith('Too small') && empty ? 'must not be empty' : iss.message;
      return one(`${subj(p)}: ${message}`, params?.hint);
    }
    default: {
      const key = params?.at === 'key';
      const s = subj(key ? p.slice(0, -1) : p);
      return one(s ? `${s}: ${iss.message}` : iss.message, params?.hint, pos(p, key));
    }
  }
}

const EXPECTED: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping',
  record: 'a mapping',
};

function describe(v: unknown): string {
  if (v === undefined || v === null) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (v instanceof Uint8Array) return 'binary data';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v)}`;
  return `${typeof v} ${String(v)}`;
}

/** `steps[0].expect.loaded` */
export function dotted(p: Path): string {
  return p.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
}

function get(data: unknown, p: Path): unknown {
  let cur = data;
  for (const seg of p) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[seg];
  }
  return cur;
}

/** The deepest node on the path that exists, and the key node of the last mapping entry walked. */
function find(doc: Document, p: Path): { node?: Node; keyNode?: Node; complete: boolean } {
  let cur: unknown = doc.contents;
  let keyNode: Node | undefined;
  let last: Node | undefined = (doc.contents as Node | null) ?? undefined;
  for (const seg of p) {
    if (isAlias(cur)) cur = cur.resolve(doc);
    let next: unknown;
    if (isMap(cur)) {
      const pair = cur.items.find((it) => String(isScalar(it.key) ? it.key.value : it.key) === String(seg));
      if (!pair) return { node: last, complete: false };
      keyNode = pair.key as Node;
      next = pair.value;
      // `key:` with no value: point at the key.
      if (next === null || (isScalar(next) && (!next.range || next.range[0] === next.range[1]))) return { keyNode, complete: true };
    } else if (isSeq(cur) && typeof seg === 'number') {
      next = cur.items[seg];
      keyNode = undefined;
    } else return { node: last, complete: false };
    if (!next) return { node: last, complete: false };
    cur = next;
    last = next as Node;
  }
  return { node: last, keyNode, complete: true };
}

function position(c: Ctx, p: Path, key: boolean): { line: number; col: number } {
  const { node, keyNode, complete } = find(c.doc, p);
  const target = key && complete && keyNode ? keyNode : (node ?? keyNode);
  return target?.range ? c.at(target.range[0]) : { line: 1, col: 1 };
}

function sortUnique(problems: Problem[]): Problem[] {
  const seen = new Set<string>();
  return problems
    .filter((x) => {
      const k = `${x.line}:${x.col}:${x.message}`;
      return seen.has(k) ? false : (seen.add(k), true);
    })
    .sort((a, b) => a.line - b.line || a.col - b.col);
}

// Checks of a YAML file that neither the yaml parser's errors nor zod make, each with an
// offset for file:line:col: binary input, parser warnings (unknown tags), keys that are
// not names (or __proto__), and aliases that cannot be expanded.
import { isCollection, isScalar, visit, type Alias, type Document, type Node } from 'yaml';

export interface Found {
  offset: number;
  message: string;
  hint: string;
}

// C0 controls other than tab, LF and CR, DEL, and U+FFFD (what an invalid UTF-8 byte
// decodes to): none belongs in a YAML text file.
const NOT_TEXT = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\ufffd]/;

/** The first character that shows this is not a UTF-8 text file. */
export function binaryProblem(src: string): Found | undefined {
  const m = NOT_TEXT.exec(src);
  if (!m) return undefined;
  const what = m[0] === '\ufffd' ? 'bytes that are not UTF-8' : `the control byte 0x${m[0].charCodeAt(0).toString(16).padStart(2, '0')}`;
  return {
    offset: m.index,
    message: `not a text file: ${what} here`,
    hint: 'this is read as a UTF-8 YAML text file; check that the path names the file you meant',
  };
}

const KEY_HINT = 'write keys as plain names (key: value); quote a name that YAML reads as null';

/**
 * Mapping keys that are null, lists or mappings (JS objects cannot hold them as keys), and
 * "__proto__", which a JS object takes as its prototype: the entry would vanish unseen.
 */
export function keyProblems(doc: Document): Found[] {
  const found: Found[] = [];
  visit(doc, {
    Pair(_, pair, ancestors) {
      const key = pair.key as Node | null;
      if (isScalar(key) && key.value === '__proto__') {
        found.push({ offset: key.range?.[0] ?? 0, message: 'the key "__proto__" cannot be used (it names no entry in a JavaScript object, so it would be dropped)', hint: 'rename it' });
        return;
      }
      const what = key === null || (isScalar(key) && key.value === null) ? 'null' : isCollection(key) ? 'a list or mapping' : undefined;
      if (!what) return;
      // An empty key has no range of its own: fall back to its value, then the mapping.
      const holders = [key, pair.value as Node | null, ...[...ancestors].reverse()] as unknown[];
      const offset = holders.map((n) => (n as Node | null)?.range?.[0]).find((o) => o !== undefined) ?? 0;
      found.push({ offset, message: `a mapping key is ${what}`, hint: KEY_HINT });
    },
  });
  return found;
}

function aliases(doc: Document): Alias[] {
  const out: Alias[] = [];
  visit(doc, { Alias: (_, a) => void out.push(a) });
  return out;
}

/**
 * doc.toJS, or where that throws (an alias before its anchor, aliases expanding past
 * maxAliasCount) the problem at the alias to blame.
 */
export function toData(doc: Document): { data: unknown } | { problem: Found } {
  try {
    return { data: doc.toJS({ maxAliasCount: 1000 }) };
  } catch (e) {
    const all = aliases(doc);
    const unresolved = all.find((a) => !a.resolve(doc));
    const blame = unresolved ?? all[0];
    return {
      problem: {
        offset: blame?.range?.[0] ?? 0,
        message: `invalid YAML: ${(e as Error).message}`,
        hint: unresolved
          ? `define the anchor "&${unresolved.source}" before "*${unresolved.source}", or write the value out`
          : 'write the values out instead of nesting aliases',
      },
    };
  }
}

// Positions in JSON text, for messages that point at file:line:col. JSON.parse does the
// parsing; this scanner only runs when it or validation failed: Node 20's JSON.parse
// often names no position ("Unexpected token '}', ... is not valid JSON"), and a zod
// issue has a path but no position.

export type JsonPath = (string | number)[];

export interface JsonScan {
  /** The first syntax error, at a UTF-16 offset into the text. */
  error?: { offset: number; message: string };
  /** For each target path, the offset where its value starts (undefined: not in the text). */
  offsets: (number | undefined)[];
}

class Fault {
  constructor(readonly offset: number, readonly message: string) {}
}

const show = (ch: string | undefined) => (ch === undefined ? 'the end of the file' : JSON.stringify(ch));
const LITERALS = ['true', 'false', 'null'];
const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;

/** Scan JSON text: the first syntax error, and where the values at `targets` start. */
export function scanJson(src: string, targets: JsonPath[] = []): JsonScan {
  const offsets: (number | undefined)[] = targets.map(() => undefined);
  const path: JsonPath = [];
  let i = 0;

  const ws = () => {
    while (i < src.length && ' \t\n\r'.includes(src[i]!)) i++;
  };
  const expect = (ch: string, what: string) => {
    ws();
    if (src[i] !== ch) throw new Fault(i, `expected ${what}, got ${show(src[i])}`);
    i++;
  };
  const mark = () => {
    targets.forEach((t, n) => {
      if (offsets[n] === undefined && t.length === path.length && t.every((seg, k) => seg === path[k])) offsets[n] = i;
    });
  };

  const string = (): string => {
    const start = i++;
    for (;;) {
      const ch = src[i];
      if (ch === undefined) throw new Fault(start, 'unterminated string');
      if (ch === '\n') throw new Fault(start, 'string not closed on its line (close the quote, or write a line break as \\n)');
      if (ch === '"') break;
      if (ch < ' ') throw new Fault(i, 'control character in a string (write it escaped, e.g. \\n or \\t)');
      if (ch === '\\') {
        const esc = src[i + 1];
        if (esc === 'u' ? !/^[0-9a-fA-F]{4}$/.test(src.slice(i + 2, i + 6)) : !'"\\/bfnrt'.includes(esc ?? 'x')) {
          throw new Fault(i, `bad escape ${show(src.slice(i, esc === 'u' ? i + 6 : i + 2))}`);
        }
        i += esc === 'u' ? 6 : 2;
      } else i++;
    }
    i++;
    // Keys only: the decoded text is what a path segment holds.
    return JSON.parse(src.slice(start, i)) as string;
  };

  const value = (): void => {
    ws();
    mark();
    const ch = src[i];
    if (ch === '{') return object();
    if (ch === '[') return array();
    if (ch === '"') return void string();
    NUMBER.lastIndex = i;
    if (ch !== undefined && /[-0-9]/.test(ch) && NUMBER.test(src)) {
      i = NUMBER.lastIndex;
      return;
    }
    const lit = LITERALS.find((l) => src.startsWith(l, i));
    if (lit) {
      i += lit.length;
      return;
    }
    throw new Fault(i, `expected a value, got ${show(ch)}`);
  };

  const object = () => {
    i++;
    ws();
    if (src[i] === '}') return void i++;
    for (;;) {
      ws();
      if (src[i] !== '"') throw new Fault(i, src[i] === '}' ? 'trailing comma before }' : `expected a "key", got ${show(src[i])}`);
      path.push(string());
      expect(':', ': after the key');
      value();
      path.pop();
      ws();
      if (src[i] === '}') return void i++;
      expect(',', ', or } after a value');
    }
  };

  const array = () => {
    i++;
    ws();
    if (src[i] === ']') return void i++;
    for (let n = 0; ; n++) {
      ws();
      if (n > 0 && src[i] === ']') throw new Fault(i, 'trailing comma before ]');
      path.push(n);
      value();
      path.pop();
      ws();
      if (src[i] === ']') return void i++;
      expect(',', ', or ] after a value');
    }
  };

  try {
    value();
    ws();
    if (i < src.length) throw new Fault(i, `unexpected ${show(src[i])} after the JSON value`);
    return { offsets };
  } catch (e) {
    if (e instanceof Fault) return { error: { offset: e.offset, message: e.message }, offsets };
    throw e;
  }
}

/** 1-based line and column of an offset. */
export function lineCol(src: string, offset: number): { line: number; col: number } {
  const before = src.slice(0, offset);
  const line = before.split('\n').length;
  return { line, col: offset - before.lastIndexOf('\n') };
}

// Text edits of a YAML file located by its node tree, each returning the line the edit
// put its change on (1-based), so a test can check an error names that line.
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node, type Pair, type YAMLMap, type YAMLSeq } from 'yaml';

export interface Edit {
  text: string;
  /** The line of the change. */
  line: number;
}

export class Src {
  readonly doc: Document;
  private readonly lc = new LineCounter();

  constructor(readonly text: string) {
    this.doc = parseDocument(text, { lineCounter: this.lc });
  }

  pos(offset: number): { line: number; col: number } {
    return this.lc.linePos(offset);
  }

  line(node: Node | Pair['key']): number {
    return this.pos((node as Node).range![0]).line;
  }

  /** Offset where 1-based line n starts (the end of the text past the last line). */
  lineStart(n: number): number {
    let off = 0;
    for (let i = 1; i < n; i++) {
      const nl = this.text.indexOf('\n', off);
      if (nl < 0) return this.text.length;
      off = nl + 1;
    }
    return off;
  }

  lineText(n: number): string {
    const start = this.lineStart(n);
    const end = this.text.indexOf('\n', start);
    return this.text.slice(start, end < 0 ? undefined : end);
  }

  top(): YAMLMap | undefined {
    return isMap(this.doc.contents) ? this.doc.contents : undefined;
  }

  /** Every node of the document, depth first. */
  nodes(): Node[] {
    const out: Node[] = [];
    const walk = (n: unknown) => {
      if (isMap(n))
        for (const p of n.items) {
          walk(p.key);
          walk(p.value);
        }
      if (isSeq(n)) n.items.forEach(walk);
      if (isMap(n) || isSeq(n) || isScalar(n)) out.push(n as Node);
    };
    walk(this.doc.contents);
    return out;
  }

  /** The pair of a key in a mapping. */
  pair(map: YAMLMap, key: string): Pair<Node, Node> | undefined {
    return map.items.find((p) => isScalar(p.key) && p.key.value === key) as Pair<Node, Node> | undefined;
  }

  steps(): YAMLMap[] {
    const seq = this.top()?.get('steps', true);
    return isSeq(seq) ? (seq.items.filter(isMap) as YAMLMap[]) : [];
  }

  stepsSeq(): YAMLSeq | undefined {
    const seq = this.top()?.get('steps', true);
    return isSeq(seq) && !seq.flow ? seq : undefined;
  }

  /** The value's text range replaced. */
  replace(node: Node, text: string): Edit {
    const [start, end] = node.range!;
    // A block collection's range can end with the line break before the next key.
    const keep = this.text[end - 1] === '\n' && !text.endsWith('\n') ? '\n' : '';
    return { text: this.text.slice(0, start) + text + keep + this.text.slice(end), line: this.pos(start).line };
  }

  /** A whole line inserted before line n. */
  insertLine(n: number, line: string): Edit {
    const at = this.lineStart(n);
    const head = this.text.slice(0, at);
    const sep = head.length && !head.endsWith('\n') ? '\n' : '';
    return { text: `${head}${sep}${line}\n${this.text.slice(at)}`, line: n };
  }

  /** Lines n..m (inclusive) removed. */
  deleteLines(n: number, m: number): string {
    return this.text.slice(0, this.lineStart(n)) + this.text.slice(this.lineStart(m + 1));
  }

  /** Lines appended at the end; line is that of the `at`-th appended line (0-based). */
  append(lines: string[], at = 0): Edit {
    const base = this.text.endsWith('\n') ? this.text : `${this.text}\n`;
    const first = base.split('\n').length;
    return { text: `${base}${lines.join('\n')}\n`, line: first + at };
  }

  /** `key: value` added to a mapping, flow or block; undefined where no line fits it. */
  addKey(map: YAMLMap, key: string, value: string): Edit | undefined {
    if (map.flow) {
      const close = map.range![1] - 1;
      if (this.text[close] !== '}') return undefined;
      const sep = map.items.length ? ', ' : '';
      return { text: `${this.text.slice(0, close)}${sep}${key}: ${value}${this.text.slice(close)}`, line: this.pos(close).line };
    }
    const [first, second] = map.items as Pair<Node, Node>[];
    if (!first?.key?.range) return undefined;
    const col = this.pos(first.key.range[0]).col;
    const pad = ' '.repeat(col - 1);
    if (second?.key?.range) return this.insertLine(this.line(second.key), `${pad}${key}: ${value}`);
    // One pair: only after a value that ends on its key's line.
    const v = first.value;
    if (v?.range && (!this.oneLine(v) || this.line(v) !== this.line(first.key))) return undefined;
    return this.insertLine(this.line(first.key) + 1, `${pad}${key}: ${value}`);
  }

  /** A flow-style step put before the first step; its line. */
  addStep(flow: string): Edit | undefined {
    const seq = this.stepsSeq();
    const first = seq?.items[0] as Node | undefined;
    if (!first?.range) return undefined;
    const n = this.line(first);
    const dash = this.lineText(n).indexOf('-');
    if (dash < 0) return undefined;
    return this.insertLine(n, `${' '.repeat(dash)}- ${flow}`);
  }

  /** Whether a node's value sits on one line. */
  oneLine(node: Node): boolean {
    const [start, end] = node.range!;
    return !this.text.slice(start, end).replace(/\n$/, '').includes('\n');
  }
}

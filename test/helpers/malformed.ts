// Malformed scenario files made from valid ones, deterministically from a seed: one kind
// of mistake per file, each knowing the line an error must name where one line is to blame.
import { isMap, isScalar, isSeq, type Node, type Pair, type Scalar, type YAMLMap } from 'yaml';
import { Src, type Edit } from './yaml-edit.js';

/** xorshift32: small, seeded, the same sequence on every machine. */
export function prng(seed: number) {
  let x = seed >>> 0 || 1;
  const next = () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 2 ** 32;
  };
  const int = (n: number) => Math.floor(next() * n);
  return { next, int, pick: <T>(xs: readonly T[]): T => xs[int(xs.length)]! };
}
export type Rng = ReturnType<typeof prng>;

export interface Malformed {
  kind: string;
  content: string | Buffer;
  /** An error must name this line. */
  line?: number;
  /** A YAML syntax error may be noticed after the mistake, never before: no error line above this. */
  atLeast?: number;
}

type Made = { content: string | Buffer; line?: number; atLeast?: number } | undefined;
type Mutator = (s: Src, r: Rng) => Made;

const exact = (e: Edit | undefined): Made => e && { content: e.text, line: e.line };
const syntax = (e: Edit | undefined): Made => e && { content: e.text, atLeast: e.line };

// --- where things are ----------------------------------------------------------

const val = (m: YAMLMap | undefined, key: string) => m?.get(key, true) as Node | undefined;
const kindOf = (step: YAMLMap) => (['load', 'run', 'dmesg'] as const).find((k) => step.has(k));
const stepsOfKind = (s: Src, kind: string) => s.steps().filter((st) => kindOf(st) === kind);
const expects = (s: Src) => s.steps().map((st) => val(st, 'expect')).filter(isMap) as YAMLMap[];

function pickDefined<T>(r: Rng, xs: (T | undefined)[]): T | undefined {
  const ok = xs.filter((x): x is T => x !== undefined);
  return ok.length ? r.pick(ok) : undefined;
}

/** Scalars under any key of the given names, anywhere in the steps. */
function stepScalars(s: Src, keys: string[]): Scalar[] {
  const out: Scalar[] = [];
  for (const st of s.steps()) {
    for (const m of [st, val(st, 'expect')]) {
      if (!isMap(m)) continue;
      for (const k of keys) {
        const v = val(m, k);
        if (isScalar(v)) out.push(v);
        if (isSeq(v)) out.push(...(v.items.filter(isScalar) as Scalar[]));
      }
    }
  }
  return out;
}

function topPairs(s: Src): Pair<Scalar, Node>[] {
  return (s.top()?.items ?? []) as Pair<Scalar, Node>[];
}

const first = (s: Src) => topPairs(s)[0]?.key;

// --- the mutators ----------------------------------------------------------------

const MUTATORS: Record<string, Mutator> = {
  'wrong type: name': (s, r) => exact(s.replace(val(s.top(), 'name')!, r.pick(['[1, 2]', '{a: 1}', '42', 'true', '~']))),
  // A selftests-only scenario has no steps: another base is drawn.
  'wrong type: steps': (s, r) => {
    const steps = val(s.top(), 'steps');
    return steps ? exact(s.replace(steps, r.pick(['5', 'load everything', '{load: x}', 'true']))) : undefined;
  },
  'wrong type: kernels': (s, r) => exact(s.replace(val(s.top(), 'kernels')!, r.pick(['debian-6.12', '7', '{debian-6.12: yes}']))),
  'wrong type in expect': (s, r) => {
    const bad: Record<string, string[]> = {
      loaded: ['"yes"', '1', '[true]', 'maybe'],
      log: ['"processed"', '12', '{a: b}'],
      not_log: ['"invalid"', 'false'],
      stdout: ['"ok"', '0'],
      insns: ['"lots"', 'true', '[1]'],
      skip: ['"no"', '0'],
    };
    const cands = expects(s).flatMap((m) => Object.keys(bad).filter((k) => m.has(k)).map((k) => [val(m, k)!, k] as const));
    if (!cands.length) return undefined;
    const [node, key] = r.pick(cands);
    return exact(s.replace(node, r.pick(bad[key]!)));
  },
  'unknown top-level key': (s, r) => {
    const pairs = topPairs(s).slice(1);
    const key = r.pick(['colour', 'kernel', 'step', 'Name', 'program', 'expect', 'timeout']);
    const at = pairs.length ? r.pick(pairs) : undefined;
    return exact(at ? s.insertLine(s.line(at.key), `${key}: 1`) : s.append([`${key}: 1`]));
  },
  'unknown step key': (s, r) =>
    s.steps().length ? exact(s.addKey(r.pick(s.steps()), r.pick(['exepct', 'loads', 'timeout_ms', 'kind', 'name', 'expected', 'program']), '1')) : undefined,
  'unknown expect key': (s, r) => {
    const m = expects(s);
    return m.length ? exact(s.addKey(r.pick(m), r.pick(['loded', 'error', 'errno_name', 'logs', 'exitcode', 'verdict']), 'true')) : undefined;
  },
  'missing name': (s) => missingTop(s, 'name'),
  'missing steps': (s) => missingTop(s, 'steps'),
  'step without load, run or dmesg': (s, r) => {
    // Delete the kind key where it is not on the "- " line and its value is one line.
    const cands = s.steps().filter((st) => {
      const p = s.pair(st, kindOf(st) ?? '');
      return p && st.items[0] !== p && !st.flow && s.oneLine(p.value!);
    });
    if (!cands.length) return undefined;
    const st = r.pick(cands);
    const p = s.pair(st, kindOf(st)!)!;
    const content = s.deleteLines(s.line(p.key), s.line(p.key));
    return { content, line: s.line(st) };
  },
  'dmesg without within': (s, r) => {
    const d = pickDefined(r, s.steps().map((st) => val(st, 'dmesg')));
    return exact(d ? s.replace(d, '{}') : s.addStep('{dmesg: {}}'));
  },
  'bad duration': (s, r) => {
    const bad = r.pick(['5 sec', '-3s', '10h', 'fast', '1e400', '"2 minutes"', 'true', '[5s]', '1e12', '99999999999999999999s', '.inf', '-1']);
    const within = pickDefined(r, s.steps().map((st) => val(st, 'dmesg')).map((d) => (isMap(d) ? val(d, 'within') : undefined)));
    if (within) return exact(s.replace(within, bad));
    const run = stepsOfKind(s, 'run');
    const added = run.length ? s.addKey(r.pick(run), 'timeout', bad) : undefined;
    return exact(added ?? s.addStep(`{dmesg: {within: ${bad}}}`));
  },
  'bad regex in a log pattern': (s, r) => {
    const bad = r.pick(['"{{[0-9+}}"', '"x {{abc"', '"{{(}}"', '"{{*}}"', '"a{{)}}b"', "'{{[z-a]}}'", '"{{x++}}"']);
    const items = stepScalars(s, ['log', 'not_log', 'stdout', 'stderr']);
    return exact(items.length ? s.replace(r.pick(items), bad) : s.addStep(`{run: "true", expect: {stdout: [${bad}]}}`));
  },
  // Each part compiles alone, but not together, or RE2 does not take it (lookaround, backreferences).
  'pattern the matcher cannot run': (s, r) => {
    const bad = r.pick(['"{{(?<n>a)}} {{(?<n>b)}}"', '"x {{a(?=b)}}$"', "'{{(?<=R)\\w+}}:'", '"{{a)(b}}"', '"insns {{([0-9]) \\\\1}}$"']);
    const items = stepScalars(s, ['log', 'not_log', 'stdout', 'stderr']);
    return exact(items.length ? s.replace(r.pick(items), bad) : s.addStep(`{run: "true", expect: {stdout: [${bad}]}}`));
  },
  'bad comparison': (s, r) => {
    const bad = r.pick(['"!== 3"', '"=< 5"', '"<> 1"', '"about 10"', '"<= 99999999999999999999"', '"< -1"', '"1.5"']);
    const counts = stepScalars(s, ['insns', 'states']);
    if (counts.length) return exact(s.replace(r.pick(counts), bad));
    const progs = val(s.top(), 'programs');
    const prog = isMap(progs) ? (progs.items[0]?.key as Scalar | undefined)?.value : undefined;
    return prog ? exact(s.addStep(`{load: ${String(prog)}, expect: {${r.pick(['insns', 'states'])}: ${bad}}}`)) : undefined;
  },
  'bad regex in normalize': (s, r) =>
    exact(s.append(['normalize:', `  - {match: "${r.pick(['(', '[a-', 'a{2,1}', '+', '(?<n>a)(?<n>b)'])}", replace: x}`], 1)),
  'duplicate step id': (s, r) => {
    const steps = s.steps();
    const withId = steps.map((st, i) => [st, i] as const).filter(([st, i]) => i > 0 && isScalar(val(st, 'id')));
    if (!withId.length) return undefined;
    const [st] = r.pick(withId);
    const id0 = val(steps[0]!, 'id');
    return exact(s.replace(val(st, 'id')!, isScalar(id0) ? String(id0.value) : 'step-1'));
  },
  'unknown kernel': (s, r) => kernelItem(s, r, ['debian-5.10', 'debain-6.12', 'bpf-nxt', 'scx-6.13', 'linux', 'DEBIAN-6.12']),
  'bad kernel name': (s, r) => kernelItem(s, r, ['"my kernel"', '"-rc1"', '"6.12/scx"', '""', '"debian 6.12"']),
  'load of an undefined program': (s, r) => {
    const loads = stepsOfKind(s, 'load').map((st) => val(st, 'load')!);
    return loads.length ? exact(s.replace(r.pick(loads), r.pick(['nope', 'bounded_loop', 'Spin', 'prog1', '"cap test"']))) : undefined;
  },
  'missing program file': (s, r) => {
    const progs = val(s.top(), 'programs');
    if (!isMap(progs) || !progs.items.length) return undefined;
    const v = r.pick(progs.items).value as Node;
    if (isMap(v)) return exact(s.replace(val(v, 'tree')!, r.pick(['/abs/x.c', '../escape.c', 'tools/x.h', 'x', 'a/../../b.c'])));
    return exact(s.replace(v, r.pick(['progs/missing.bpf.c', 'nope.c', '../nowhere/x.bpf.c', '""'])));
  },
  'log_file outside the scenario directory': (s, r) => {
    const loads = stepsOfKind(s, 'load');
    if (!loads.length) return undefined;
    const bad = r.pick(['/tmp/golden.log', '../golden.log', 'golden/../../x.log', '"{kernel}/../../x.log"', '..']);
    const st = r.pick(loads);
    const lf = val(st, 'log_file');
    return exact(lf ? s.replace(lf, bad) : s.addKey(st, 'log_file', bad));
  },
  'program name that is not a plain name': (s, r) => {
    const progs = val(s.top(), 'programs');
    if (!isMap(progs) || !progs.items.length) return undefined;
    return exact(s.replace(r.pick(progs.items).key as Node, r.pick(['"../up"', 'a.b', '"my prog"', '"x/y"', '"nämé"'])));
  },
  'program that is not C source': (s, r) => {
    const progs = val(s.top(), 'programs');
    const plain = isMap(progs) ? progs.items.map((p) => p.value as Node).filter(isScalar) : [];
    return plain.length ? exact(s.replace(r.pick(plain), r.pick(['/etc/hostname', 'progs', 'x.bpf.o', '/dev/null']))) : undefined;
  },
  'bad as:': (s, r) => {
    const bad = r.pick(['admin', 'superuser', '0', '{caps: [flying]}', '{token: {cmd: [prog_load]}}', '[root]', '{user: true}', 'Root', '{caps: bpf}']);
    const existing = s.steps().map((st) => val(st, 'as')).filter((v): v is Node => v !== undefined);
    if (!existing.length && !s.steps().length) return undefined;
    return exact(existing.length ? s.replace(r.pick(existing), bad) : s.addKey(r.pick(s.steps()), 'as', bad));
  },
  'bad via:': (s, r) => {
    const bad = r.pick(['xdp', 'bpftool', 'STRUCT_OPS', '1', '[prog]', 'progs', 'struct-ops']);
    const loads = stepsOfKind(s, 'load');
    if (!loads.length) return undefined;
    const st = r.pick(loads);
    const via = val(st, 'via');
    return exact(via ? s.replace(via, bad) : s.addKey(st, 'via', bad));
  },
  'bad errno:': (s, r) => {
    const bad = r.pick(['eperm', '13', 'EPERM!', 'permission denied', '[EPERM]', 'E', '-1', 'Eperm']);
    const errnos = expects(s).map((m) => val(m, 'errno')).filter((v): v is Node => v !== undefined);
    if (errnos.length) return exact(s.replace(r.pick(errnos), bad));
    const progs = val(s.top(), 'programs');
    const prog = isMap(progs) ? (progs.items[0]?.key as Scalar | undefined)?.value : undefined;
    return prog ? exact(s.addStep(`{load: ${String(prog)}, expect: {loaded: false, errno: ${bad}}}`)) : undefined;
  },
  'key of another step kind': (s, r) => {
    const loads = stepsOfKind(s, 'load');
    const runs = stepsOfKind(s, 'run');
    const options: (() => Edit | undefined)[] = [];
    if (runs.length) options.push(() => s.addKey(r.pick(runs), 'via', 'prog'), () => s.addKey(r.pick(runs), 'dmesg', '{within: 1s}'));
    if (loads.length) options.push(() => s.addKey(r.pick(loads), 'timeout', '5s'), () => s.addKey(r.pick(loads), 'run', '"true"'));
    const loadExpects = loads.map((st) => val(st, 'expect')).filter(isMap) as YAMLMap[];
    if (loadExpects.length) options.push(() => s.addKey(r.pick(loadExpects), 'exit', '0'), () => s.addKey(r.pick(loadExpects), 'stdout', '[x]'));
    return options.length ? exact(r.pick(options)()) : undefined;
  },
  'huge number': (s, r) => {
    const big = r.pick(['99999999999999999999', '1e400', '256', '-1', '4294967296', '1e300', '-9007199254740993']);
    const counts = stepScalars(s, ['insns', 'states']);
    if (counts.length && r.int(2)) return exact(s.replace(r.pick(counts), r.pick(['1e300', '99999999999999999999', '-5', '1.5'])));
    return exact(s.addStep(`{run: "true", expect: {exit: ${big}}}`));
  },
  'unclosed quote': (s, r) => {
    const quoted = s.nodes().filter((n) => isScalar(n) && (n.type === 'QUOTE_DOUBLE' || n.type === 'QUOTE_SINGLE') && s.oneLine(n));
    if (quoted.length) {
      const n = r.pick(quoted);
      const end = n.range![1];
      return { content: s.text.slice(0, end - 1) + s.text.slice(end), atLeast: s.line(n) };
    }
    return syntax(s.replace(val(s.top(), 'name')!, '"never closed'));
  },
  'unclosed bracket': (s, r) => {
    const flows = s.nodes().filter((n) => (isMap(n) || isSeq(n)) && n.flow && s.oneLine(n));
    if (!flows.length) return undefined;
    const n = r.pick(flows);
    const end = n.range![1];
    return { content: s.text.slice(0, end - 1) + s.text.slice(end), atLeast: s.line(n) };
  },
  'bad indentation': (s, r) => {
    // A later key of a nested block mapping, one column off.
    const maps = s.nodes().filter((n): n is YAMLMap => isMap(n) && !n.flow && n.items.length > 1 && s.pos(n.range![0]).col > 1);
    if (!maps.length) return undefined;
    const m = r.pick(maps);
    const key = (r.pick(m.items.slice(1)) as Pair<Node, Node>).key;
    const n = s.line(key);
    const text = s.lineText(n);
    const deeper = r.int(2) === 1;
    const lines = s.text.split('\n');
    lines[n - 1] = deeper ? ` ${text}` : text.slice(1);
    // One deeper, the line continues the value above it (past comments): the error can start there.
    let above = n - 1;
    while (above > 1 && /^\s*(#.*)?$/.test(lines[above - 1]!)) above--;
    return { content: lines.join('\n'), atLeast: deeper ? above : n };
  },
  'tab indentation': (s, r) => {
    const lines = s.text.split('\n');
    const nested = lines.map((l, i) => [l, i] as const).filter(([l]) => /^ {2,}\S/.test(l) && !l.trimStart().startsWith('#'));
    if (!nested.length) return undefined;
    const [l, i] = r.pick(nested);
    lines[i] = r.int(2) ? `\t${l.trimStart()}` : `\t${l}`;
    return { content: lines.join('\n'), atLeast: i + 1 };
  },
  'duplicate key': (s, r) => {
    const cands: Pair<Node, Node>[] = [...topPairs(s), ...s.steps().filter((st) => !st.flow).flatMap((st) => st.items.slice(1))]
      .filter((p) => p.key && p.value && s.oneLine(p.value as Node) && s.line(p.value as Node) === s.line(p.key as Node)) as Pair<Node, Node>[];
    if (!cands.length) return undefined;
    const p = r.pick(cands);
    const n = s.line(p.key);
    return exact(s.insertLine(n + 1, s.lineText(n)));
  },
  'stray ": " in a plain value': (s, r) => {
    const plain = [val(s.top(), 'name'), ...stepsOfKind(s, 'load').map((st) => val(st, 'load'))].filter(
      (n): n is Scalar => isScalar(n) && n.type === 'PLAIN',
    );
    return syntax(s.replace(plain.length ? r.pick(plain) : val(s.top(), 'name')!, r.pick(['a: b', 'loads: fine', 'x: y: z'])));
  },
  'several documents': (s) => syntax(s.append(['---', 'name: a second document', 'steps: [{run: "true"}]'])),
  'unknown tag': (s, r) => {
    const plain = s.nodes().filter((n): n is Scalar => isScalar(n) && n.type === 'PLAIN' && typeof n.value === 'string' && s.oneLine(n));
    if (!plain.length) return undefined;
    const n = r.pick(plain);
    return exact(s.replace(n, `${r.pick(['!custom', '!!int', '!!float', '!env', '!!bool'])} ${s.text.slice(n.range![0], n.range![1])}`));
  },
  'undefined alias': (s, r) => {
    const scalars = s.nodes().filter((n) => isScalar(n) && s.oneLine(n));
    return exact(s.replace(r.pick(scalars), r.pick(['*nowhere', '*steps', '*a'])));
  },
  'empty file': (_, r) => ({ content: r.pick(['', '\n', '\n\n   \n', '# only a comment\n', '---\n', '~\n']), line: 1 }),
  'binary junk': (s, r) => {
    const choice = r.int(3);
    if (choice === 0) {
      // Random bytes, a NUL among them.
      const b = Buffer.from(Array.from({ length: 64 + r.int(4000) }, () => r.int(256)));
      b[r.int(b.length)] = 0;
      return { content: b };
    }
    // A NUL or a byte that is not UTF-8 at the start of one line of a good file.
    const n = 1 + r.int(s.text.split('\n').length - 1);
    const at = s.lineStart(n);
    const head = Buffer.from(s.text.slice(0, at));
    const junk = Buffer.from(choice === 1 ? [0] : [0xff, 0xfe]);
    return { content: Buffer.concat([head, junk, Buffer.from(s.text.slice(at))]), line: n };
  },
  'top level is not a mapping': (_, r) => ({ content: r.pick(['- name: x\n- steps: []\n', 'just some words\n', '42\n', '[1, 2, 3]\n', '"a string"\n']), line: 1 }),
  'key that is not a name': (s, r) => {
    const k = first(s);
    return k ? exact(s.insertLine(s.line(k), r.pick(['~: 3', 'null: x', '? [a, b]\n: c', '? {x: 1}\n: y']))) : undefined;
  },
  // With selftests:, no steps is allowed.
  'empty steps': (s) => (val(s.top(), 'steps') && !val(s.top(), 'selftests') ? exact(s.replace(val(s.top(), 'steps')!, '[]')) : undefined),
  'bad step id': (s, r) => {
    const ids = s.steps().map((st) => val(st, 'id')).filter(isScalar) as Scalar[];
    const bad = r.pick(['"bad id"', '-dash', '"a/b"', '""', '.hidden', '"ünïcode"']);
    if (!ids.length && !s.steps().length) return undefined;
    return exact(ids.length ? s.replace(r.pick(ids), bad) : s.addKey(r.pick(s.steps()), 'id', bad));
  },
  'bad kconfig': (s, r) => {
    const bad = r.pick(['config_bpf', 'CONFIG_', 'BPF_SYSCALL', '"CONFIG BPF"', 'CONFIG_bpf']);
    const kc = val(val(s.top(), 'requires') as YAMLMap | undefined, 'kconfig');
    if (isSeq(kc) && kc.items.length) return exact(s.replace(r.pick(kc.items) as Node, bad));
    if (s.top()?.has('requires')) return undefined;
    return exact(s.append(['requires:', `  kconfig: [${bad}]`], 1));
  },
  'expect_by_kernel for an unknown step': (s, r) => {
    const ebk = val(s.top(), 'expect_by_kernel');
    if (isMap(ebk)) {
      const kernels = ebk.items.map((p) => p.value).filter(isMap) as YAMLMap[];
      return kernels.length ? exact(s.addKey(r.pick(kernels), r.pick(['no-such-step', 'step-99', 'Register']), '{skip: true}')) : undefined;
    }
    return exact(s.append(['expect_by_kernel:', '  debian-6.12:', `    ${r.pick(['no-such-step', 'step-99'])}: {skip: true}`], 2));
  },
  'errno with loaded: true': (s, r) => {
    const ok = expects(s).filter((m) => isScalar(val(m, 'loaded')) && (val(m, 'loaded') as Scalar).value === true && !m.has('errno'));
    return ok.length ? exact(s.addKey(r.pick(ok), 'errno', 'EPERM')) : undefined;
  },
};

function missingTop(s: Src, key: 'name' | 'steps'): Made {
  const p = topPairs(s).find((x) => x.key.value === key);
  const v = p?.value;
  if (!p || !v?.range) return undefined;
  // The value's last line: a block collection's range may end at the next line's start.
  const end = s.pos(v.range![1] - (s.text[v.range![1] - 1] === '\n' ? 1 : 0)).line;
  const content = s.deleteLines(s.line(p.key), end);
  const after = new Src(content);
  const top = after.top();
  return top?.range ? { content, line: after.line(top) } : undefined;
}

function kernelItem(s: Src, r: Rng, bad: string[]): Made {
  const k = val(s.top(), 'kernels');
  return isSeq(k) && k.items.length ? exact(s.replace(r.pick(k.items) as Node, r.pick(bad))) : undefined;
}

export const KINDS = Object.keys(MUTATORS);

/**
 * n malformed files: kinds in turn, each applied to a random base (another base where a
 * kind does not apply to the one drawn).
 */
export function generate(bases: string[], n: number, seed: number): Malformed[] {
  const r = prng(seed);
  const srcs = bases.map((b) => new Src(b));
  const out: Malformed[] = [];
  for (let i = 0; out.length < n; i++) {
    const kind = KINDS[i % KINDS.length]!;
    for (let tries = 0; tries < 40; tries++) {
      const made = MUTATORS[kind]!(r.pick(srcs), r);
      if (made) {
        out.push({ kind, ...made });
        break;
      }
    }
  }
  return out;
}

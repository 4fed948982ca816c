// 200 malformed scenario files, made from the valid ones under scenarios/, run through
// the real CLI: exit 2, file:line:col on every error, no stack trace, and nothing written
// (no cache, no out/). The seed is in the test's name; to get a failing run's files back:
//   MALFORMED_SEED=N node dist/test/run-tests.js dist/test/malformed-scenarios.test.js
import { execa } from 'execa';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import t from 'tap';
import { isMap, isScalar, type Node } from 'yaml';
import { repoRoot } from '../common/paths.js';
import { loadScenario } from '../harness/scenario/load.js';
import { knownRecipes } from '../kernels/resolve.js';
import { CLI } from './helpers/cli.js';
import { generate, KINDS, type Malformed } from './helpers/malformed.js';
import { Src } from './helpers/yaml-edit.js';

const SEED = Number(process.env.MALFORMED_SEED ?? 20_240_611);
const COUNT = 200;
const FILE = 'scenario.yaml';

const root = mkdtempSync(join(tmpdir(), 'malformed-scenarios-'));
t.teardown(() => rmSync(root, { recursive: true, force: true }));
// The folder of the copies is their repository: the programs copied into it are inside their sandbox.
mkdirSync(join(root, '.git'));
const known = knownRecipes();

function scenarioFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((e) => (e.isDirectory() ? scenarioFiles(join(dir, e.name)) : e.name.endsWith('.yaml') ? [join(dir, e.name)] : []));
}

// Program folders copied beside the copy (a scenario's sources must stay in its folder
// or repository, after symlinks), so a copy alone in a temp dir still names real files
// and its only problem is the one put in.
const progsCopy = join(root, 'progs');
function withCopiedPrograms(file: string): string {
  const s = new Src(readFileSync(file, 'utf8'));
  const progs = s.top()?.get('programs', true);
  const paths = isMap(progs) ? progs.items.map((p) => p.value as Node).filter(isScalar) : [];
  let text = s.text;
  for (const n of paths.sort((a, b) => b.range![0] - a.range![0])) {
    const src = resolve(dirname(file), String(n.value));
    const copy = join(progsCopy, relative(repoRoot, src));
    if (!existsSync(copy)) cpSync(dirname(src), dirname(copy), { recursive: true });
    text = text.slice(0, n.range![0]) + JSON.stringify(copy) + text.slice(n.range![1]);
  }
  return text;
}

const bases = scenarioFiles(join(repoRoot, 'scenarios')).map(withCopiedPrograms);

t.test('the unmutated scenarios load as copies in a temp dir', async (t) => {
  t.ok(bases.length >= 10, `${bases.length} scenarios to mutate`);
  bases.forEach((text, i) => {
    const dir = join(root, `base-${i}`);
    mkdirSync(dir);
    writeFileSync(join(dir, FILE), text);
    t.doesNotThrow(() => loadScenario(join(dir, FILE), { knownKernels: known }), `base ${i} loads`);
  });
});

// Files go BATCH to a CLI run (a node start is most of the cost): plan.ts loads every
// file before it stops and reports each one's problems under that file's name, and it
// only gathers bad input; anything else ends the run as an internal error. So exit 2 and
// positioned errors under each name mean each file alone is bad input.
const BATCH = 5;
// 4 runs at once keep 2 cores busy.
const CONCURRENCY = 4;

interface Case {
  m: Malformed;
  /** case-N/scenario.yaml, relative to root (the CLI's working directory). */
  rel: string;
  /** Set where the harness itself accepted the file: then the CLI is not run (it would boot). */
  accepted?: boolean;
}

interface Batch {
  cases: Case[];
  exitCode: number;
  stdout: string;
  stderr: string;
}

function writeCase(m: Malformed, i: number): Case {
  const rel = join(`case-${i}`, FILE);
  mkdirSync(join(root, `case-${i}`));
  writeFileSync(join(root, rel), m.content);
  // In-process first: a mutation that left a valid file must fail here, not boot a guest.
  // Any other failure is the CLI's to show (planning stops before anything runs).
  try {
    loadScenario(join(root, rel), { knownKernels: known });
    return { m, rel, accepted: true };
  } catch {
    return { m, rel };
  }
}

async function runBatch(cases: Case[], k: number): Promise<Batch> {
  const files = cases.filter((c) => !c.accepted).map((c) => c.rel);
  if (!files.length) return { cases, exitCode: -1, stdout: '', stderr: '' };
  const r = await execa(process.execPath, [CLI, 'run', ...files], {
    cwd: root, reject: false, timeout: 60_000,
    env: { BPF_HARNESS_CACHE: join(root, `cache-${k}`), XDG_CACHE_HOME: join(root, `xdg-${k}`) },
  });
  return { cases, exitCode: r.exitCode ?? -1, stdout: r.stdout, stderr: r.stderr };
}

async function pool<T, R>(items: T[], n: number, work: (x: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) out[i] = await work(items[i]!, i);
  };
  await Promise.all(Array.from({ length: n }, worker));
  return out;
}

const POSITIONED = /^(case-\d+\/scenario\.yaml):(\d+):(\d+): error: /;

t.test(`${COUNT} generated malformed scenario files all exit 2 with positions and no stack trace (seed ${SEED})`, async (t) => {
  const files = generate(bases, COUNT, SEED);
  t.equal(files.length, COUNT);
  t.same(new Set(files.map((f) => f.kind)).size, KINDS.length, 'every kind of mistake is among them');
  const cases = files.map(writeCase);
  const batches = Array.from({ length: Math.ceil(COUNT / BATCH) }, (_, k) => cases.slice(k * BATCH, (k + 1) * BATCH));
  const t0 = Date.now();
  const results = await pool(batches, CONCURRENCY, runBatch);
  t.comment(`${COUNT} files in ${batches.length} CLI runs: ${((Date.now() - t0) / 1000).toFixed(1)} s`);

  for (const b of results) {
    // Each problem is a "file:line:col: error:" line, its hint indented under it.
    const heads = b.stderr.split('\n').filter((l) => l && !/^\s/.test(l));
    const extra = { stderr: b.stderr };
    t.ok(heads.every((l) => POSITIONED.test(l)), `${b.cases.map((c) => c.rel).join(' ')}: every unindented line is "FILE:LINE:COL: error: ..."`, extra);
    for (const c of b.cases) {
      const what = `${c.rel} (${c.m.kind})`;
      if (c.accepted) {
        t.fail(`${what}: the harness accepted the file`, { content: String(c.m.content) });
        continue;
      }
      const lines = heads.map((l) => POSITIONED.exec(l)).filter((m) => m?.[1] === c.rel).map((m) => Number(m![2]));
      t.equal(b.exitCode, 2, `${what}: exit 2`, extra);
      t.ok(lines.length > 0 && lines.every((l) => l > 0), `${what}: errors at ${c.rel}:LINE:COL`, extra);
      if (c.m.line !== undefined) t.ok(lines.includes(c.m.line), `${what}: an error names line ${c.m.line}`, extra);
      if (c.m.atLeast !== undefined) t.ok(lines.some((l) => l >= c.m.atLeast!), `${what}: an error at line ${c.m.atLeast} or later`, extra);
      t.notMatch(b.stderr, /^\s+at /m, `${what}: no stack frames`, extra);
      t.notMatch(b.stderr, /internal error/i, `${what}: no "internal error"`, extra);
      t.equal(b.stdout, '', `${what}: nothing on stdout`, extra);
      t.same(readdirSync(join(root, dirname(c.rel))), [FILE], `${what}: nothing written next to it`);
    }
  }
  // Bad input changes nothing: no cache, no out/ in the working directory.
  t.same(readdirSync(root).filter((f) => !/^((case|base)-\d+|\.git|progs)$/.test(f)), [], 'nothing written in the working directory or a cache');
});

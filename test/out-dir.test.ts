// The artifacts directory: --out DIR must be new or empty unless --force, and runs
// without --out each get a directory of their own, even when started in the same second.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import t from 'tap';
import { prepareOutDir } from '../harness/cli/out-dir.js';
import { badInput } from './helpers/bad-input.js';
import { cli } from './helpers/cli.js';

const root = mkdtempSync(join(tmpdir(), 'out-dir-'));
t.teardown(() => rmSync(root, { recursive: true, force: true }));

t.test('without --out: a new directory under out/, another one for a run in the same second', async (t) => {
  const cwd = process.cwd();
  process.chdir(root);
  t.teardown(() => process.chdir(cwd));
  const now = new Date('2026-11-23T06:20:00.250Z');
  const first = prepareOutDir('run', {}, now);
  const second = prepareOutDir('run', {}, new Date('2026-11-23T06:20:00.900Z'));
  const third = prepareOutDir('run', {}, now);
  t.equal(first, join(root, 'out', 'run-20261123-062000'));
  t.equal(second, `${first}-2`, 'the same second: the next name');
  t.equal(third, `${first}-3`);
  t.same(readdirSync(join(root, 'out')).sort(), [basename(first), basename(second), basename(third)], 'each one made');
  t.equal(prepareOutDir('compare', {}, now), join(root, 'out', 'compare-20261123-062000'), 'named by the command');
});

t.test('--out: a missing or empty directory is used; one that holds files needs --force', async (t) => {
  const fresh = join(root, 'fresh', 'deeper');
  t.equal(prepareOutDir('run', { out: fresh }), fresh);
  t.ok(existsSync(fresh), 'made');
  t.equal(prepareOutDir('run', { out: fresh }), fresh, 'empty: used again');

  const used = join(root, 'used');
  mkdirSync(used);
  for (const f of ['results.json', 'plan.json', 'a', 'b']) writeFileSync(join(used, f), `${f}\n`);
  const e = badInput(() => prepareOutDir('run', { out: used }));
  t.equal(e.message, `--out ${used}: ${used} already holds files (a, b, plan.json, ...)`, 'names the flag, the directory and what is in it');
  t.match(e.hint, /name a new or empty directory with --out, or add --force/, 'says what to do');
  t.equal(readFileSync(join(used, 'results.json'), 'utf8'), 'results.json\n', 'nothing changed');
  t.equal(prepareOutDir('run', { out: used, force: true }), used, '--force: used as it is');
  t.same(readdirSync(used).sort(), ['a', 'b', 'plan.json', 'results.json']);

  const file = join(root, 'a-file');
  writeFileSync(file, 'x\n');
  t.match(badInput(() => prepareOutDir('run', { out: file })).message, `cannot use the artifacts directory ${file}: it exists and is not a directory`);
});

t.test('--out /proc/... or /sys/...: refused before anything is made there', async (t) => {
  const e = badInput(() => prepareOutDir('run', { out: '/proc/bpf-harness-test/out', force: true }));
  t.equal(e.message, 'cannot use the artifacts directory /proc/bpf-harness-test/out: it is under /proc, a kernel pseudo file system that keeps no files');
  t.match(e.hint, /use a directory on a disk, outside \/proc and \/sys/);
  // Not "already holds files": what is wrong with /proc/self is where it is.
  t.match(badInput(() => prepareOutDir('run', { out: '/proc/self' })).message, /it is under \/proc/);
});

// Each command that takes --out refuses a used one before it builds or boots anything.
const COMMANDS: [string, string[]][] = [
  ['run', ['run', 'scenarios/basics/loops.yaml', '--kernel', 'debian-6.12']],
  ['compare', ['compare', '--base', 'debian-6.12', '--patched', 'debian-6.1', 'scenarios/basics/loops.yaml']],
  ['bisect', ['bisect', '--base', 'scx-6.12', '--series', 'kernels/patches/scx-kfunc-filter', '--scenario', 'scenarios/sched_ext/enqueue-consume-ejected.yaml']],
  ['reproduce', ['reproduce', 'kernels/patches/scx-kfunc-filter', 'scenarios/sched_ext/enqueue-consume-ejected.yaml']],
];

t.test('the CLI: a used --out is exit 2 naming the flag, for every command that takes --out', async (t) => {
  const used = join(root, 'cli-used');
  mkdirSync(used);
  writeFileSync(join(used, 'results.json'), '{}\n');
  const cache = join(root, 'cache');
  for (const [name, args] of COMMANDS) {
    const r = await cli([...args, '--out', used], { BPF_HARNESS_CACHE: cache });
    t.equal(r.exitCode, 2, `${name}: exit 2`, { output: r.all });
    t.match(r.stderr, `--out ${used}: ${used} already holds files (results.json)\nhint: name a new or empty directory with --out, or add --force`, `${name}: says what is wrong and what to do`);
    t.notMatch(r.all, /^\s+at /m, `${name}: no stack trace`);
    const help = await cli([name, '--help']);
    t.match(help.stdout, /--force +write into an --out directory that already holds/, `${name} --help: lists --force`);
  }
  t.same(readdirSync(used), ['results.json'], 'nothing written there');
});

t.test("a refused run leaves the user's report files as they were", async (t) => {
  const used = join(root, 'report-used');
  mkdirSync(used);
  writeFileSync(join(used, 'results.json'), '{}\n');
  const junit = join(root, 'previous-junit.xml');
  writeFileSync(junit, '<testsuites/>\n');
  const fresh = join(root, 'new-report.tap');
  const r = await cli(['run', 'scenarios/basics/loops.yaml', '--kernel', 'debian-6.12', '--out', used, '--reporter', `junit=${junit}`, '--reporter', `tap=${fresh}`], { BPF_HARNESS_CACHE: join(root, 'cache') });
  t.equal(r.exitCode, 2, 'exit 2', { output: r.all });
  t.match(r.stderr, /already holds files/);
  t.equal(readFileSync(junit, 'utf8'), '<testsuites/>\n', 'the previous report is not emptied');
  t.notOk(existsSync(fresh), 'no new report file made');
  // A report file that cannot be written is still refused before anything else is made.
  const bad = await cli(['run', 'scenarios/basics/loops.yaml', '--kernel', 'debian-6.12', '--out', join(root, 'not-made'), '--reporter', `junit=${root}`], { BPF_HARNESS_CACHE: join(root, 'cache') });
  t.equal(bad.exitCode, 2, 'a directory as the report file: exit 2');
  t.match(bad.stderr, `--reporter junit=${root}: cannot write ${root}: EISDIR`);
  t.notOk(existsSync(join(root, 'not-made')), 'no --out directory made');
});

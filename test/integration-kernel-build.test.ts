// A real build of scx-6.12 from Debian's linux-source-6.12 through the CLI, booted:
// sched_ext present and idle, the tree's own bpftool in the guest, the basics scenarios
// passing on it; a second build is a cache hit that runs no make; the same kernel plus a
// one-line patch builds incrementally and shows its changed message.
import t from 'tap';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir } from '../common/paths.js';
import { cli, fixture, outDir } from './helpers/cli.js';

// The build logs of linux-source-6.12's O= dirs (not the tools dirs other test files may build in).
const buildLogs = () => {
  const d = cacheDir('build');
  return existsSync(d)
    ? readdirSync(d).filter((o) => o.startsWith('linux-source-6.12_')).flatMap((o) => readdirSync(join(d, o)).filter((f) => f.endsWith('.log')).map((f) => join(d, o, f)))
    : [];
};
const mtimes = () => new Map(buildLogs().map((f) => [f, statSync(f).mtimeMs]));

t.test('kernel build scx-6.12, then again: the second is a cache hit that runs no make', async (t) => {
  const first = await cli(['kernel', 'build', 'scx-6.12']);
  t.equal(first.exitCode, 0, 'first build', { output: first.all.slice(-4000) });
  t.match(first.stdout, /^scx-6\.12: Debian linux-source-6\.12 /m);
  t.match(first.stdout, /bpftool +\S+\/bin\/bpftool/);
  t.match(first.stdout, /vmlinux\.h +\S+vmlinux\.h/);
  const before = mtimes();
  const second = await cli(['kernel', 'build', 'scx-6.12']);
  t.equal(second.exitCode, 0, 'second build');
  t.match(second.stderr, /kernel scx-6\.12: cached build [0-9a-f]{16}/);
  t.notMatch(second.stderr, /building scx-6\.12/, 'no build step ran');
  t.same(mtimes(), before, 'no build log was written: make did not run');
  const list = await cli(['kernel', 'list']);
  t.match(list.stdout, /^scx-6\.12 +debian-source +built \d{4}-\d\d-\d\d \d\d:\d\d +6\.12\.\d+/m);
});

t.test('scx-6.12 boots: sched_ext idle, the tree\'s bpftool, basics pass', async (t) => {
  const r = await cli(['run', fixture('scenarios', 'sched-ext-idle.yaml'), 'scenarios/basics/loops.yaml', 'scenarios/basics/uninit-register.yaml',
    '--kernel', 'scx-6.12', '--out', outDir(), '-q']);
  t.equal(r.exitCode, 0, 'exit 0', { output: r.all });
  t.match(r.stdout, /PASS .*sched-ext-idle\.yaml \[scx-6\.12\]/);
  t.match(r.stdout, /3 passed, 0 failed/);
});

t.test('scx-6.12 plus a one-line patch: incremental build, the message differs (A/B)', async (t) => {
  const recipe = fixture('kernels', 'scx-6.12-loopmsg.yaml');
  const b = await cli(['kernel', 'build', recipe]);
  t.equal(b.exitCode, 0, 'patched build', { output: b.all.slice(-4000) });
  t.match(b.stdout, /\+ 1 patch file/);
  // Built now (not a cache hit from an earlier run): the same O= dir as scx-6.12, so only
  // what the patch touched is compiled again.
  const log = /full log: (\S+)/.exec(b.stderr)?.[1];
  if (log) {
    const compiled = readFileSync(log, 'utf8').split('\n').filter((l) => /^ {2}CC +/.test(l));
    t.ok(compiled.some((l) => /kernel\/bpf\/verifier\.o$/.test(l)), 'verifier.o compiled');
    t.ok(compiled.length < 100, `incremental: ${compiled.length} files compiled`);
  } else {
    t.match(b.stderr, /kernel scx-6\.12-loopmsg: cached build/, 'or cached from an earlier run');
  }
  const r = await cli(['run', fixture('scenarios', 'loop-message-ab.yaml'), '--kernel', 'scx-6.12', '--kernel', recipe, '--reporter', 'json', '--out', outDir(), '-q']);
  t.equal(r.exitCode, 0, 'exit 0', { output: r.all });
  const run = JSON.parse(r.stdout);
  const byKernel = Object.fromEntries(run.scenarios.map((s: { kernel: string; steps: { log: string }[] }) => [s.kernel, s.steps[0]!.log]));
  t.match(byKernel['scx-6.12'], /^infinite loop detected at insn 1$/m);
  t.match(byKernel['scx-6.12-loopmsg'], /^infinite loop detected at insn 1 \(back-edge to a visited state\)$/m);

  // compare: the fixture declares the change (expected); basics/loops.yaml does not (unexpected).
  const c = await cli(['compare', '--base', 'scx-6.12', '--patched', recipe, fixture('scenarios', 'loop-message-ab.yaml'), 'scenarios/basics/loops.yaml',
    '--reporter', 'json', '--out', outDir(), '-q']);
  t.equal(c.exitCode, 1, 'exit 1: an undeclared change', { output: c.all.slice(-3000) });
  const cmp = JSON.parse(c.stdout) as { base: string; patched: string; unexpected: number; steps: { file: string; step: string; changed: boolean; expected: boolean; logDiff?: string; insnsDelta?: number; base: { verdict: string } }[] };
  t.same([cmp.base, cmp.patched], ['scx-6.12', 'scx-6.12-loopmsg']);
  const row = (file: string, step: string) => cmp.steps.find((s) => s.file.endsWith(file) && s.step === step)!;
  t.same([row('loop-message-ab.yaml', 'spin').changed, row('loop-message-ab.yaml', 'spin').expected], [true, true], 'declared change');
  t.same([row('loops.yaml', 'spin').changed, row('loops.yaml', 'spin').expected], [true, false], 'undeclared change');
  t.same([row('loops.yaml', 'bounded').changed, row('loops.yaml', 'bounded').insnsDelta], [false, 0], 'unchanged, stats equal');
  t.equal(row('loops.yaml', 'spin').base.verdict, 'EINVAL');
  t.match(row('loops.yaml', 'spin').logDiff, /\n-infinite loop detected at insn 1\n\+infinite loop detected at insn 1 \(back-edge to a visited state\)/);
  t.equal(cmp.unexpected, 1);
});

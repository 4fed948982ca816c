// report merge through the real CLI, on results.json files written here by hand (our own
// format, shaped as run --shard I/N --out DIR writes them).
import t from 'tap';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Outcome, RunResult, ScenarioResult } from '../harness/results/model.js';
import { cli, outDir } from './helpers/cli.js';

function scenario(file: string, kernel: string, outcome: Outcome, artifact?: string): ScenarioResult {
  return {
    file, name: file.replace(/\.yaml$/, ''), kernel, outcome, durationMs: 100,
    steps: [{ id: 'load', kind: 'load', outcome: outcome === 'skip' ? 'skip' : outcome, durationMs: 90, failures: [], artifacts: artifact ? [artifact] : [] }],
    ...(outcome === 'error' ? { reason: 'SSH connection lost' } : {}),
  };
}

/** DIR/results.json for one shard, with its artifact files; returns the results.json path. */
function shard(dir: string, run: Partial<RunResult> & { scenarios: ScenarioResult[] }): string {
  mkdirSync(dir, { recursive: true });
  for (const a of run.scenarios.flatMap((s) => s.steps.flatMap((st) => st.artifacts))) {
    mkdirSync(resolve(dir, a, '..'), { recursive: true });
    writeFileSync(join(dir, a), `log of ${a}\n`);
  }
  // outDir names the machine that ran the shard: merge must not rely on it.
  const full: RunResult = { startedAt: '2026-11-23T06:20:00.000Z', durationMs: 1000, target: 'qemu', accel: 'kvm', outDir: '/home/runner/elsewhere', ...run };
  writeFileSync(join(dir, 'results.json'), JSON.stringify(full, null, 2));
  return join(dir, 'results.json');
}

const noStack = /at .*\.js:\d+|internal error/;

t.test('selftest programs survive a merge, their logs rebased', async (t) => {
  const tmp = outDir();
  const withPrograms: ScenarioResult = {
    ...scenario('st.yaml', 'debian-6.12', 'fail'), steps: [],
    programs: [
      { file: 'v.c', prog: 'p', mode: 'unpriv', outcome: 'fail', reason: 'r', failures: [{ expectation: 'msg[0]', message: 'm' }], loaded: true, stats: { insns: 3, states: 1 }, artifact: 'debian-6_12/st/selftests/v.c/p.unpriv.log' },
      { file: 'v.c', prog: 'q', mode: 'priv', outcome: 'skip', reason: 'why', failures: [], denied: true },
    ],
  };
  const one = shard(join(tmp, 'shard-1'), { scenarios: [withPrograms] });
  const two = shard(join(tmp, 'shard-2'), { scenarios: [scenario('a.yaml', 'debian-6.12', 'pass')] });
  const out = join(tmp, 'merged');
  const r = await cli(['report', 'merge', one, two, '--out', out, '--reporter', 'json']);
  t.equal(r.exitCode, 1, 'exit 1: a program failed', { output: r.all });
  const merged = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as RunResult;
  const programs = merged.scenarios.find((s) => s.file === 'st.yaml')?.programs;
  t.equal(programs?.length, 2);
  t.equal(programs?.[0]?.artifact, '../shard-1/debian-6_12/st/selftests/v.c/p.unpriv.log', 'relative to the merged --out');
  t.same(programs?.[1], withPrograms.programs![1]);
});

t.test('two shards: every scenario once, sorted, exit code from the outcomes', async (t) => {
  const tmp = outDir();
  const one = shard(join(tmp, 'out-1'), {
    startedAt: '2026-11-23T06:21:00.000Z', durationMs: 1500, accel: 'tcg',
    scenarios: [scenario('b.yaml', 'debian-6.12', 'pass', 'debian-6_12/b/load.verifier.log'), scenario('a.yaml', 'scx-6.12', 'fail')],
  });
  const two = shard(join(tmp, 'out-2'), {
    startedAt: '2026-11-23T06:20:30.000Z', durationMs: 2500,
    scenarios: [scenario('c.yaml', 'debian-6.12', 'skip'), scenario('a.yaml', 'debian-6.12', 'pass', 'debian-6_12/a/load.verifier.log')],
  });
  const merged = join(tmp, 'merged');

  const r = await cli(['report', 'merge', one, two, '--reporter', 'json', '--out', merged]);
  t.equal(r.exitCode, 1, 'exit 1: a scenario failed', { output: r.all });
  const run = JSON.parse(r.stdout) as RunResult;
  t.same(run.scenarios.map((s) => `${s.file} ${s.kernel}`), ['a.yaml debian-6.12', 'a.yaml scx-6.12', 'b.yaml debian-6.12', 'c.yaml debian-6.12']);
  t.same([run.startedAt, run.durationMs, run.target, run.accel, run.outDir], ['2026-11-23T06:20:30.000Z', 4000, 'qemu', 'kvm,tcg', merged]);
  const artifacts = run.scenarios.flatMap((s) => s.steps.flatMap((st) => st.artifacts));
  t.same(artifacts, ['../out-2/debian-6_12/a/load.verifier.log', '../out-1/debian-6_12/b/load.verifier.log'], 'relative to the merged outDir');
  t.ok(artifacts.every((a) => existsSync(resolve(run.outDir, a))), 'and they name the shards\' files');
  t.same(JSON.parse(readFileSync(join(merged, 'results.json'), 'utf8')), run, '--out holds the same results.json');

  const again = await cli(['report', 'merge', join(merged, 'results.json'), '--reporter', 'json']);
  t.equal(again.exitCode, 1, 'a merged results.json merges again', { output: again.all });
  const rerun = JSON.parse(again.stdout) as RunResult;
  t.ok(rerun.scenarios.flatMap((s) => s.steps.flatMap((st) => st.artifacts)).every((a) => existsSync(resolve(rerun.outDir, a))), 'its artifacts still found');

  const spec = await cli(['report', 'merge', two, one]);
  t.equal(spec.exitCode, 1);
  t.match(spec.stdout, /^PASS  a\.yaml \[debian-6\.12\]  0\.10s\nFAIL  a\.yaml \[scx-6\.12\]  0\.10s\nPASS  b\.yaml \[debian-6\.12\]/, 'spec by default, in order whatever the argument order');
  t.match(spec.stdout, `\n2 passed, 1 failed, 1 skipped, 0 errors (4.00s)\nartifacts: ${tmp}`, 'no --out: the directory holding the inputs');

  const junit = await cli(['report', 'merge', one, two, '-r', 'junit']);
  t.match(junit.stdout, /<testsuites name="bpf-harness" tests="4" failures="1" errors="0" skipped="1"/);

  // The human log and JUnit at once, and GitHub's job summary, as the shipped workflow does it.
  const summary = join(tmp, 'summary.md');
  const both = await cli(['report', 'merge', one, two, '--reporter', 'spec', '--reporter', `junit=${join(tmp, 'merged.xml')}`], { GITHUB_STEP_SUMMARY: summary });
  t.equal(both.exitCode, 1);
  t.match(both.stdout, /^PASS  a\.yaml \[debian-6\.12\]/);
  t.match(both.stdout, /\n1 not passed:\n  FAIL a\.yaml \[scx-6\.12\]: /, 'the failure once more at the end');
  t.match(readFileSync(join(tmp, 'merged.xml'), 'utf8'), /<testsuites name="bpf-harness" tests="4" failures="1" errors="0" skipped="1"/);
  t.match(readFileSync(summary, 'utf8'), /^### bpf-harness report merge\n\n\*\*2 passed, 1 failed, 1 skipped, 0 errors/);

  const green = shard(join(tmp, 'green'), { scenarios: [scenario('d.yaml', 'debian-6.12', 'pass')] });
  const broken = shard(join(tmp, 'broken'), { scenarios: [scenario('e.yaml', 'debian-6.12', 'error')] });
  t.equal((await cli(['report', 'merge', green, two, '-r', 'tap'])).exitCode, 0, 'exit 0: passes and skips');
  t.equal((await cli(['report', 'merge', green, broken, one, '-r', 'tap'])).exitCode, 3, 'exit 3: an infrastructure error wins');
});

t.test('--out holding files is refused unless --force; --force replaces the merged results.json', async (t) => {
  const tmp = outDir();
  const one = shard(join(tmp, 'out-1'), { scenarios: [scenario('a.yaml', 'debian-6.12', 'pass')] });
  const merged = join(tmp, 'merged');
  mkdirSync(merged);
  writeFileSync(join(merged, 'results.json'), 'an earlier merge\n');
  const r = await cli(['report', 'merge', one, '--out', merged]);
  t.equal(r.exitCode, 2, 'exit 2', { output: r.all });
  t.equal(r.stdout, '', 'no report');
  t.match(r.stderr, `--out ${merged}: ${merged} already holds files (results.json)\nhint: name a new or empty directory with --out, or add --force`);
  t.equal(readFileSync(join(merged, 'results.json'), 'utf8'), 'an earlier merge\n', 'nothing written');
  const forced = await cli(['report', 'merge', one, '--out', merged, '--force', '--reporter', 'json']);
  t.equal(forced.exitCode, 0, '--force: merged', { output: forced.all });
  t.same(JSON.parse(readFileSync(join(merged, 'results.json'), 'utf8')), JSON.parse(forced.stdout), 'the merged results.json replaced the old one');
});

t.test('overlapping shards: exit 2 naming both files', async (t) => {
  const tmp = outDir();
  const one = shard(join(tmp, 'out-1'), { scenarios: [scenario('a.yaml', 'debian-6.12', 'pass'), scenario('b.yaml', 'debian-6.12', 'pass')] });
  const two = shard(join(tmp, 'out-2'), { scenarios: [scenario('b.yaml', 'debian-6.12', 'pass'), scenario('a.yaml', 'debian-6.12', 'pass')] });
  const other = shard(join(tmp, 'out-3'), { scenarios: [scenario('a.yaml', 'scx-6.12', 'pass')] });
  const r = await cli(['report', 'merge', one, two, other, '--out', join(tmp, 'merged')]);
  t.equal(r.exitCode, 2, 'exit 2', { output: r.all });
  t.equal(r.stdout, '', 'no report');
  t.match(r.stderr, `${two}: error: b.yaml [debian-6.12] and 1 more also in ${one}: the shards overlap\n  hint: merge the shards of one matrix`);
  t.notMatch(r.stderr, 'out-3', 'the same file on another kernel is no overlap');
  t.notOk(existsSync(join(tmp, 'merged')), 'nothing written');
  t.notMatch(r.all, noStack, 'no stack trace');

  const twice = await cli(['report', 'merge', one, one]);
  t.equal(twice.exitCode, 2);
  t.match(twice.stderr, `${one}: error: given twice`);
});

t.test('malformed, wrong-shaped and missing files: exit 2 naming them', async (t) => {
  const tmp = outDir();
  const good = shard(join(tmp, 'good'), { scenarios: [scenario('a.yaml', 'debian-6.12', 'pass')] });
  const bad = join(tmp, 'bad.json');
  writeFileSync(bad, '{\n  "startedAt": "2026-11-23T06:20:00.000Z",\n  "scenarios": [\n    { "file": "a.yaml", }\n  ]\n}\n');
  const r = await cli(['report', 'merge', good, bad]);
  t.equal(r.exitCode, 2, 'exit 2', { output: r.all });
  t.match(r.stderr, `${bad}:4:25: error: invalid JSON: Expected double-quoted property name\n  hint: pass the results.json files that \`bpf-harness run --out DIR\` wrote`);
  t.notMatch(r.all, noStack, 'no stack trace');

  const truncated = join(tmp, 'truncated.json');
  writeFileSync(truncated, readFileSync(good, 'utf8').slice(0, 60));
  t.match((await cli(['report', 'merge', truncated])).stderr, new RegExp(`^${truncated}:\\d+:\\d+: error: invalid JSON: `));

  // Valid YAML but not JSON, and a JSON.parse message with no position: the bare word is found.
  const bare = join(tmp, 'bare.json');
  writeFileSync(bare, '{\n  "startedAt": tru\n}\n');
  t.match((await cli(['report', 'merge', bare])).stderr, new RegExp(`^${bare}:2:16: error: invalid JSON: `));

  const shape = join(tmp, 'shape.json');
  const wrong = JSON.parse(readFileSync(good, 'utf8')) as Record<string, any>;
  wrong.scenarios[0].outcome = 'passed';
  delete wrong.scenarios[0].kernel;
  writeFileSync(shape, JSON.stringify(wrong, null, 2));
  const s = await cli(['report', 'merge', shape]);
  t.equal(s.exitCode, 2);
  t.match(s.stderr, `${shape}:8:5: error: scenarios[0]: missing "kernel"\n`);
  t.match(s.stderr, `${shape}:11:18: error: scenarios[0].outcome: expected one of pass, fail, skip, error, got "passed"\n  hint: not a results.json of this version?`);

  const plan = join(tmp, 'plan.json');
  writeFileSync(plan, '[]\n');
  t.match((await cli(['report', 'merge', plan])).stderr, `${plan}:1:1: error: the file: expected an object (a RunResult), got an array`);

  const missing = join(tmp, 'out-9', 'results.json');
  const m = await cli(['report', 'merge', good, missing, bad]);
  t.equal(m.exitCode, 2, 'exit 2', { output: m.all });
  t.match(m.stderr, `${missing}: error: no such file\n  hint: pass the results.json files`);
  t.match(m.stderr, `${bad}:4:25: error:`, 'every bad input named at once');
  t.notMatch(m.all, noStack);

  const dir = await cli(['report', 'merge', join(tmp, 'good')]);
  t.match(dir.stderr, `${join(tmp, 'good')}: error: is a directory\n  hint: pass ${good}`);

  const self = await cli(['report', 'merge', good, '--out', join(tmp, 'good')]);
  t.equal(self.exitCode, 2);
  t.match(self.stderr, 'is also the --out file');

  t.equal((await cli(['report', 'merge'])).exitCode, 2, 'no files: usage error');
});

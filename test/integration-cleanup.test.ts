// No QEMU process outlives the harness: not after a normal run, not after kill -9; and
// SIGINT or SIGTERM end a run as an error does, with results.json accounting for the plan.
import t from 'tap';
import { execa } from 'execa';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, cli, outDir } from './helpers/cli.js';
import { qemuWithTag, sleep } from './helpers/procs.js';
import { repoRoot } from '../common/paths.js';
import type { RunResult } from '../harness/results/model.js';

t.test('no QEMU is left after a normal run', async (t) => {
  const tag = randomUUID();
  const r = await cli(['run', 'scenarios/basics/uninit-register.yaml', '--out', outDir(), '-q'], { BPF_HARNESS_TEST_TAG: tag });
  t.equal(r.exitCode, 0, 'exit 0', { output: r.all });
  t.same(qemuWithTag(tag), [], 'no QEMU with our tag');
});

t.test('kill -9 of the harness mid-run leaves no QEMU 6 s later', async (t) => {
  const tag = randomUUID();
  const p = execa('node', [CLI, 'run', 'scenarios/basics', '--out', outDir()], {
    cwd: repoRoot, reject: false, env: { BPF_HARNESS_TEST_TAG: tag },
  });
  // Wait until a guest QEMU runs (the KVM probe may come first; any QEMU counts).
  let pids: number[] = [];
  for (let i = 0; i < 600 && pids.length === 0; i++) {
    await sleep(100);
    pids = qemuWithTag(tag);
  }
  t.ok(pids.length > 0, `QEMU started (${pids.join(',')})`);
  p.kill('SIGKILL');
  await p;
  let left = pids;
  for (let i = 0; i < 60 && left.length; i++) {
    await sleep(100);
    left = qemuWithTag(tag);
  }
  t.same(left, [], 'QEMU gone within 6 s of kill -9');
});

/** Three scenarios on one guest: quick, a 30 s sleep, quick. */
function slowSuite(): string {
  const dir = mkdtempSync(join(tmpdir(), 'bpf-harness-signals-'));
  const scenario = (name: string, cmd: string) => `name: ${name}\nkernels: [debian-6.12]\nsteps:\n  - run: ${cmd}\n    timeout: 60s\n    expect:\n      exit: 0\n`;
  writeFileSync(join(dir, '1-quick.yaml'), scenario('quick', '"true"'));
  writeFileSync(join(dir, '2-slow.yaml'), scenario('slow', 'sleep 30'));
  writeFileSync(join(dir, '3-after.yaml'), scenario('after', '"true"'));
  return dir;
}

for (const [sig, code] of [['SIGTERM', 143], ['SIGINT', 130]] as const) {
  t.test(`${sig} mid-run: guests stopped, results.json with what finished and the rest not run, exit ${code}`, async (t) => {
    const tag = randomUUID();
    const suite = slowSuite();
    t.teardown(() => rmSync(suite, { recursive: true, force: true }));
    const out = outDir();
    const p = execa('node', [CLI, 'run', suite, '--jobs', '1', '--out', out], { cwd: repoRoot, reject: false, all: true, env: { BPF_HARNESS_TEST_TAG: tag } });
    // The signal goes once the first scenario has passed: the slow one is then running.
    let seen = '';
    await new Promise<void>((resolve) => {
      p.stdout!.on('data', (d: Buffer) => {
        seen += d.toString();
        if (/PASS .*1-quick\.yaml/.test(seen)) resolve();
      });
      void p.then(() => resolve());
    });
    await sleep(1000);
    p.kill(sig);
    const r = await p;
    t.equal(r.exitCode, code, `exit ${code}`, { output: r.all });
    const run = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as RunResult;
    t.equal(run.interrupted, sig);
    t.same(run.scenarios.map((s) => [s.name, s.outcome, s.notRun ?? false]), [['quick', 'pass', false], ['slow', 'skip', true], ['after', 'skip', true]], 'the slow one did not finish: it and the rest are not run');
    t.match(run.scenarios[1]?.reason, new RegExp(`not run: the run was interrupted \\(${sig}\\)`));
    t.match(r.stdout, new RegExp(`interrupted by ${sig}, 2 not run`), 'the summary says so');
    t.same(qemuWithTag(tag), [], 'no QEMU left');
  });
}

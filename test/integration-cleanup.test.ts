// No QEMU process outlives the harness: not after a normal run, not after kill -9.
import t from 'tap';
import { execa } from 'execa';
import { randomUUID } from 'node:crypto';
import { CLI, cli, outDir } from './helpers/cli.js';
import { qemuWithTag, sleep } from './helpers/procs.js';
import { repoRoot } from '../harness/paths.js';

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

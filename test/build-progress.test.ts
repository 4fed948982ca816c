// A kernel build's expected steps: an incremental build is estimated from the previous
// incremental build of that O= dir, or not at all, never from a full build's step count
// (which once printed "33/~2153 steps (2%) ~16m04s left" for a build of 38 s); a fresh
// full build from the last full build of the same .config, else from the config's size.
import t from 'tap';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { etaMs, expectedSteps, stepsFile } from '../kernels/build/make.js';
import { buildLine } from '../common/progress.js';

process.env.BPF_HARNESS_CACHE = mkdtempSync(join(tmpdir(), 'cache-'));

t.test('a dir that holds a vmlinux keeps its own incremental count', async (t) => {
  const odir = mkdtempSync(join(tmpdir(), 'odir-'));
  t.equal(stepsFile(odir), join(odir, '.bpf-harness-steps'), 'an empty dir builds in full');
  writeFileSync(join(odir, 'vmlinux'), '');
  t.equal(stepsFile(odir), join(odir, '.bpf-harness-steps-incremental'), 'then incrementally');
  t.equal(expectedSteps(odir), undefined, 'an incremental build never seen: no estimate');
  writeFileSync(join(odir, '.bpf-harness-steps-incremental'), '59');
  t.same(expectedSteps(odir), { steps: 59, from: 'this dir' });
});

t.test('a fresh full build: from the config size, then from the last full build of the same config', async (t) => {
  const odir = mkdtempSync(join(tmpdir(), 'odir-'));
  const config = ['# comment', 'CONFIG_BPF=y', 'CONFIG_BPF_JIT=y', 'CONFIG_E1000=m', '# CONFIG_KVM is not set', 'CONFIG_NR_CPUS=64', ''].join('\n');
  writeFileSync(join(odir, '.config'), config);
  t.same(expectedSteps(odir), { steps: 7, from: 'the config size' }, '3 options enabled (=y or =m) at 2.45 steps each');
  // The same .config in another O= dir once took 2156 steps.
  const other = mkdtempSync(join(tmpdir(), 'odir-'));
  const { createHash } = await import('node:crypto');
  mkdirSync(join(process.env.BPF_HARNESS_CACHE!, 'build-steps'), { recursive: true });
  writeFileSync(join(process.env.BPF_HARNESS_CACHE!, 'build-steps', createHash('sha256').update(config).digest('hex').slice(0, 16)), '2156');
  writeFileSync(join(other, '.config'), config);
  t.same(expectedSteps(other), { steps: 2156, from: 'this config' });
});

t.test('the line with and without an expected count', async (t) => {
  const line = (steps: number, expected: number | undefined, elapsedMs: number) =>
    buildLine({ type: 'build', phase: 'update', what: 'building k', steps, expected, elapsedMs, etaMs: etaMs(steps, expected, elapsedMs) });
  t.equal(line(120, 2400, 60000), 'building k: 120/~2400 steps (5%), 1m00s ~19m00s left');
  t.equal(line(33, undefined, 15000), 'building k: 33 steps, 0m15s', 'no count of this kind yet: no estimate');
  t.equal(line(3000, 2400, 60000), 'building k: 3000/~2400 steps (99%), 1m00s ~0m00s left', 'past the count it stays under 100%');
});

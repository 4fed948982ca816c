// A kernel build's progress line: an incremental build is estimated from the previous
// incremental build of that O= dir, or not at all, never from a full build's step count
// (which once printed "33/~2153 steps (2%) ~16m04s left" for a build of 38 s).
import t from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { progressLine, stepsFile } from '../kernels/build/make.js';

t.test('a dir that holds a vmlinux keeps its own incremental count', async (t) => {
  const odir = mkdtempSync(join(tmpdir(), 'odir-'));
  t.equal(stepsFile(odir), join(odir, '.bpf-harness-steps'), 'an empty dir builds in full');
  writeFileSync(join(odir, 'vmlinux'), '');
  t.equal(stepsFile(odir), join(odir, '.bpf-harness-steps-incremental'), 'then incrementally');
});

t.test('the line with and without an expected count', async (t) => {
  t.equal(progressLine('building k', 120, 2400, 60000), 'building k: 120/~2400 steps (5%), 1m00s ~19m00s left');
  t.equal(progressLine('building k', 33, undefined, 15000), 'building k: 33 steps, 0m15s', 'no count of this kind yet: no estimate');
  t.equal(progressLine('building k', 3000, 2400, 60000), 'building k: 3000/~2400 steps (99%), 1m00s ~0m00s left', 'past the count it stays under 100%');
});

// log_file goldens: --update replaces them atomically and never with an empty log.
import { existsSync, linkSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { goldenPath, judgeGolden } from '../harness/runner/golden.js';

const root = mkdtempSync(join(tmpdir(), 'golden-'));
t.teardown(() => rmSync(root, { recursive: true, force: true }));
const LOG = '# prog xdp_pass\n0: (b7) r0 = 2\nprocessed 2 insns\n';

t.test('goldenPath: relative to the scenario file, {kernel} replaced', async (t) => {
  t.equal(goldenPath('/s/basics/x.yaml', 'debian-6.12', 'golden/{kernel}/load.log'), '/s/basics/golden/debian-6.12/load.log');
});

t.test('--update writes a new golden, making its directory, and leaves no temporary file', async (t) => {
  const golden = join(root, 'new', 'debian-6.12', 'load.log');
  t.equal(judgeGolden(golden, LOG, true), undefined, 'passes');
  t.equal(readFileSync(golden, 'utf8'), LOG);
  t.same(readdirSync(join(root, 'new', 'debian-6.12')), ['load.log'], 'only the golden in its directory');
});

t.test('--update replaces the golden by a rename, not by writing into it', async (t) => {
  const golden = join(root, 'renamed.log');
  writeFileSync(golden, 'old\n');
  // A second name for the same inode: writing in place would change it too.
  const other = join(root, 'renamed.other');
  linkSync(golden, other);
  t.equal(judgeGolden(golden, LOG, true), undefined);
  t.equal(readFileSync(golden, 'utf8'), LOG, 'the golden holds the new log');
  t.equal(readFileSync(other, 'utf8'), 'old\n', 'the old inode was left alone');
  t.notOk(readdirSync(root).some((f) => f.includes('.tmp-')), 'no temporary file left');
});

t.test('--update never writes an empty log over an existing golden, and says so', async (t) => {
  const golden = join(root, 'kept.log');
  writeFileSync(golden, LOG);
  for (const empty of ['', '\n  \n']) {
    const f = judgeGolden(golden, empty, true);
    t.equal(f?.expectation, 'log_file', `${JSON.stringify(empty)}: a failure`);
    t.match(f?.message, /^the log is empty: --update kept .*kept\.log rather than write an empty log over it/);
    t.match(f?.diff, /-processed 2 insns/, 'with the diff against what it kept');
    t.equal(readFileSync(golden, 'utf8'), LOG, `${JSON.stringify(empty)}: the golden is unchanged`);
  }
  const emptyGolden = join(root, 'empty.log');
  writeFileSync(emptyGolden, '');
  t.equal(judgeGolden(emptyGolden, '', true), undefined, 'an empty golden and an empty log agree');
});

t.test('without --update: a missing golden, a different log, the same log', async (t) => {
  const missing = join(root, 'missing.log');
  t.match(judgeGolden(missing, LOG, false)?.message, /golden file .*missing\.log does not exist; run with --update to write it/);
  t.notOk(existsSync(missing), 'nothing written');
  const golden = join(root, 'check.log');
  writeFileSync(golden, LOG);
  t.equal(judgeGolden(golden, LOG, false), undefined);
  t.match(judgeGolden(golden, LOG.replace('2 insns', '3 insns'), false)?.message, /the normalized log differs from log_file/);
  t.match(judgeGolden(golden, '', false)?.message, /the normalized log differs from log_file/, 'an empty log is an ordinary difference');
});

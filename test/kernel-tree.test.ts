// On Debian's real linux-source-6.12 (imported by the harness, then cloned here so the
// shared tree is not disturbed): patch series with git am, and config fragments merged
// with the tree's merge_config.sh, including an option olddefconfig drops.
import t from 'tap';
import { execa } from 'execa';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BadInputError } from '../common/errors.js';
import { repoRoot } from '../common/paths.js';
import { setQuiet } from '../common/progress.js';
import { configure } from '../kernels/build/config.js';
import { patchFiles } from '../kernels/build/patches.js';
import { checkoutSeries } from '../kernels/build/series.js';
import { debianSource } from '../kernels/source/debian-source.js';
import { git, type SourceTree } from '../kernels/source/tree.js';

setQuiet(true);
const fixture = (...p: string[]) => join(repoRoot, 'test', 'fixtures', ...p);
const shared = await debianSource('linux-source-6.12', 'test');
const scratch = mkdtempSync(join(tmpdir(), 'bh-tree-'));
t.teardown(() => rmSync(scratch, { recursive: true, force: true }));
const dir = join(scratch, 'linux');
await execa('git', ['clone', '-q', '--shared', '--no-checkout', shared.dir, dir]);
await git(dir, ['checkout', '-q', '--detach', 'bpf-harness-base']);
const tree: SourceTree = { ...shared, dir, describe: 'linux-source-6.12 (test clone)' };
const verifier = () => readFileSync(join(dir, 'kernel', 'bpf', 'verifier.c'), 'utf8');
const head = async () => (await git(dir, ['rev-parse', 'HEAD'])).stdout.trim();
const commitsSinceBase = async () => Number((await git(dir, ['rev-list', '--count', `${tree.base}..HEAD`])).stdout);

t.test('a patch that applies', async (t) => {
  const c = await checkoutSeries(tree, patchFiles([fixture('patches', 'applies')]));
  t.equal(c, await head());
  t.equal(await commitsSinceBase(), 1);
  t.match(verifier(), 'infinite loop detected at insn %d (back-edge to a visited state)');
  t.equal(await checkoutSeries(tree, patchFiles([fixture('patches', 'applies')])), c, 'the same series again is the same commit');
});

t.test('an mbox with a cover letter: the cover letter is skipped', async (t) => {
  await checkoutSeries(tree, patchFiles([fixture('patches', 'mbox', 'series.mbox')]));
  t.equal(await commitsSinceBase(), 2, 'two patches, no commit for the cover letter');
  t.match(verifier(), 'R%d !read_ok (never written)');
  t.match(verifier(), '(back-edge to a visited state)');
});

t.test('a patch that does not apply names the file and subject, and leaves the base', async (t) => {
  const err = await checkoutSeries(tree, patchFiles([fixture('patches', 'conflicts')])).then(() => undefined, (e: unknown) => e);
  t.ok(err instanceof BadInputError, 'bad input (exit 2)');
  const msg = (err as Error).message;
  t.match(msg, /conflicts\/0001-bpf-reword-the-unreadable-register-message\.patch: patch "bpf: reword the unreadable-register message" does not apply/);
  t.match(msg, /kernel\/bpf\/verifier\.c/, "git's output is shown");
  t.equal(await head(), tree.base, 'back on the base commit');
  t.equal((await git(dir, ['status', '--porcelain'])).stdout, '', 'clean tree');
});

t.test('fragments merged with merge_config.sh; a dropped option is named by fragment line', async (t) => {
  await checkoutSeries(tree, []);
  const frag = (n: string) => join(repoRoot, 'kernels', 'config', n);
  const odir = join(scratch, 'odir');
  mkdirSync(odir);
  const log = join(odir, 'log');
  const cfg = await configure(dir, odir, { base: { kind: 'tinyconfig' }, drop: {}, fragments: [frag('vm.config'), frag('bpf.config'), frag('sched-ext.config')] }, log, 'test');
  t.match(cfg, /^CONFIG_SCHED_CLASS_EXT=y$/m);
  t.match(cfg, /^CONFIG_DEBUG_INFO_BTF=y$/m);
  t.match(cfg, /^CONFIG_VIRTIO_NET=y$/m);

  // sched_ext without BPF: SCHED_CLASS_EXT depends on BPF_SYSCALL, BPF_JIT and DEBUG_INFO_BTF.
  const bad = join(odir, 'bad.config');
  writeFileSync(bad, '# sched_ext alone\nCONFIG_SCHED_CLASS_EXT=y\n');
  const odir2 = join(scratch, 'odir2');
  mkdirSync(odir2);
  const err = await configure(dir, odir2, { base: { kind: 'tinyconfig' }, drop: {}, fragments: [bad] }, log, 'test').then(() => undefined, (e: unknown) => e);
  t.ok(err instanceof BadInputError, 'bad input');
  t.match((err as Error).message, /bad\.config:2:1: error: CONFIG_SCHED_CLASS_EXT=y was asked for, but the final \.config has it unset/);

  // A fragment of the tree itself (written into the scratch tree), with an option tinyconfig
  // cannot meet (no block layer): refused, until the recipe drops it, saying why in our copy.
  writeFileSync(join(dir, 'tools', 'bh-test.config'), 'CONFIG_BPF_SYSCALL=y\nCONFIG_BLK_DEV_LOOP=y\n');
  const treeFrag = { tree: 'tools/bh-test.config' };
  const odir3 = join(scratch, 'odir3');
  mkdirSync(odir3);
  const refused = await configure(dir, odir3, { base: { kind: 'tinyconfig' }, drop: {}, fragments: [treeFrag] }, log, 'test').then(() => undefined, (e: unknown) => e);
  t.match((refused as Error).message, /CONFIG_BLK_DEV_LOOP=y was asked for, but the final \.config has it unset/);
  const tcfg = await configure(dir, odir3, { base: { kind: 'tinyconfig' }, drop: { CONFIG_BLK_DEV_LOOP: 'no disks here' }, fragments: [treeFrag] }, log, 'test');
  t.match(tcfg, /^CONFIG_BPF_SYSCALL=y$/m, "the tree's fragment merged");
  const copy = readFileSync(join(odir3, 'fragments', '0-tools_bh-test.config'), 'utf8');
  t.match(copy, /^# dropped by the recipe \(no disks here\): CONFIG_BLK_DEV_LOOP=y$/m);
  t.match(copy, /^# tools\/bh-test\.config of the kernel tree/);
  rmSync(join(dir, 'tools', 'bh-test.config'));
});

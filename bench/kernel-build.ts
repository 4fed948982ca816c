// Bench: kernel builds through the harness beside raw make on the same tree, in one run.
//   fresh:     harness `kernel build` with an empty cache (source import included) and
//              ccache off, vs. raw tinyconfig + merge_config.sh + olddefconfig + make bzImage
//              in an empty O= dir, ccache off.
//   cache hit: `kernel build` of a recipe already built (no make).
//   one-line:  a recipe with one patch; one line of the patch changed, rebuilt
//              (incremental O= dir), vs. raw: touch the patched file, make bzImage.
//   node dist/bench/kernel-build.js [--skip-fresh]
import { execa } from 'execa';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { cacheDir, repoRoot } from '../common/paths.js';
import { debianSource } from '../kernels/source/debian-source.js';

const { values } = parseArgs({ options: { 'skip-fresh': { type: 'boolean', default: false } } });
const CLI = join(repoRoot, 'dist', 'harness', 'cli', 'main.js');
const frags = ['vm', 'bpf', 'sched-ext'].map((f) => join(repoRoot, 'kernels', 'config', `${f}.config`));

async function timed(label: string, f: () => Promise<unknown>): Promise<number> {
  const t0 = Date.now();
  await f();
  const s = (Date.now() - t0) / 1000;
  process.stderr.write(`${label}: ${s.toFixed(1)} s\n`);
  return s;
}

const harness = (args: string[], env: Record<string, string> = {}) =>
  execa('node', [CLI, 'kernel', 'build', ...args], { env: { ...env }, stderr: 'inherit' });

const tree = (await debianSource('linux-source-6.12', 'bench')).dir;
const rows: string[] = [];

if (!values['skip-fresh']) {
  // A fresh cache that still shares the downloaded packages (the mirror is not what we measure).
  const fresh = mkdtempSync(join(tmpdir(), 'bh-bench-cache-'));
  symlinkSync(cacheDir('debs'), join(fresh, 'debs'));
  const h = await timed('harness fresh', () => harness(['scx-6.12'], { BPF_HARNESS_CACHE: fresh, CCACHE_DISABLE: '1' }));
  const odir = mkdtempSync(join(tmpdir(), 'bh-bench-odir-'));
  const r = await timed('raw fresh', async () => {
    await execa('make', ['-s', '-C', tree, `O=${odir}`, 'tinyconfig']);
    await execa(join(tree, 'scripts/kconfig/merge_config.sh'), ['-m', '-O', odir, join(odir, '.config'), ...frags], { cwd: tree });
    await execa('make', ['-s', '-C', tree, `O=${odir}`, 'olddefconfig']);
    await execa('make', ['-s', '-C', tree, `O=${odir}`, '-j3', 'bzImage'], { env: { CCACHE_DISABLE: '1' } });
  });
  rows.push(`fresh minimal build        harness ${h.toFixed(0).padStart(5)} s   raw make ${r.toFixed(0).padStart(5)} s   ratio ${(h / r).toFixed(2)}x   (target <= 400 s)`);
}

await harness(['scx-6.12']);
const hit = await timed('cache hit', () => harness(['scx-6.12']));
rows.push(`cache hit                  harness ${hit.toFixed(1).padStart(5)} s                            (target <= 2 s)`);

// A recipe with one patch, in a scratch dir; build it once, then change one line of the patch.
const work = mkdtempSync(join(tmpdir(), 'bh-bench-recipe-'));
mkdirSync(join(work, 'series'));
cpSync(join(repoRoot, 'test', 'fixtures', 'patches', 'applies'), join(work, 'series'), { recursive: true });
writeFileSync(join(work, 'r.yaml'), 'name: bench-oneline\nextends: scx-6.12\npatches: [series]\n');
await harness([join(work, 'r.yaml')]);
const patch = join(work, 'series', '0001-bpf-say-why-an-infinite-loop-was-detected.patch');
writeFileSync(patch, readFileSync(patch, 'utf8').replace('(back-edge to a visited state)', '(state seen before on this path)'));
const h1 = await timed('harness one-line patch change', () => harness([join(work, 'r.yaml')]));
// Raw: the same kind of change straight in a built O= dir: touch the file the patch edits, make.
// The O= dir the harness just used is the most recently modified one.
const odir = (await execa('sh', ['-c', `ls -td ${cacheDir('build')}/*/ | head -1`])).stdout.trim();
await execa('touch', [join(tree, 'kernel', 'bpf', 'verifier.c')]);
const r1 = await timed('raw touch + make', () => execa('make', ['-s', '-C', tree, `O=${odir}`, '-j3', 'CC=ccache gcc', 'HOSTCC=ccache gcc', 'bzImage'], {
  env: { CCACHE_DIR: cacheDir('ccache'), KBUILD_BUILD_TIMESTAMP: 'bpf-harness', KBUILD_BUILD_USER: 'bpf-harness', KBUILD_BUILD_HOST: 'bpf-harness' },
}));
rows.push(`one-line patch change      harness ${h1.toFixed(0).padStart(5)} s   raw make ${r1.toFixed(0).padStart(5)} s   ratio ${(h1 / r1).toFixed(2)}x   (target <= 90 s)`);
process.stdout.write(`${rows.join('\n')}\n`);

// Suites outside the checkout: recipes found beside the scenarios that name them (and in
// BPF_HARNESS_KERNELS) before the shipped ones, and `init`, whose starter suite runs as
// written on a real guest.
import t from 'tap';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { recipeDirs } from '../kernels/resolve.js';
import { cli, outDir } from './helpers/cli.js';

const scenario = (kernel: string) => [
  `name: on ${kernel}`,
  `kernels: [${kernel}]`,
  'steps:',
  '  - {id: k, run: uname -r}',
  '',
].join('\n');
const recipe = (name: string, base: string) => `name: ${name}\nextends: ${base}\n`;

t.test('where recipes are looked for, in order', async (t) => {
  const repo = mkdtempSync(join(tmpdir(), 'suite-repo-'));
  mkdirSync(join(repo, '.git'));
  mkdirSync(join(repo, 'a', 'b'), { recursive: true });
  t.same(recipeDirs(join(repo, 'a', 'b', 's.yaml'), { BPF_HARNESS_KERNELS: '/x:/y' }), [
    join(repo, 'a', 'b'), join(repo, 'a', 'b', 'kernels'), join(repo, 'a', 'kernels'), join(repo, 'kernels'), '/x', '/y',
  ], 'beside it, kernels/ beside it and above it up to the repository root, then BPF_HARNESS_KERNELS');
});

t.test('a recipe beside a scenario, in kernels/ above it, or in BPF_HARNESS_KERNELS', async (t) => {
  const repo = mkdtempSync(join(tmpdir(), 'suite-repo-'));
  mkdirSync(join(repo, '.git'));
  mkdirSync(join(repo, 'kernels'));
  mkdirSync(join(repo, 'tests', 'deep'), { recursive: true });
  writeFileSync(join(repo, 'tests', 'beside.yaml'), recipe('beside', 'debian-6.12'));
  writeFileSync(join(repo, 'tests', 'uses-beside.yaml'), scenario('beside'));
  writeFileSync(join(repo, 'kernels', 'above.yaml'), recipe('above', 'debian-6.1'));
  writeFileSync(join(repo, 'tests', 'deep', 'uses-above.yaml'), scenario('above'));
  const elsewhere = mkdtempSync(join(tmpdir(), 'suite-kernels-'));
  writeFileSync(join(elsewhere, 'from-env.yaml'), recipe('from-env', 'debian-6.12'));
  writeFileSync(join(repo, 'tests', 'deep', 'uses-env.yaml'), scenario('from-env'));

  const r = await cli(['list', join(repo, 'tests'), '--json'], { BPF_HARNESS_KERNELS: elsewhere });
  t.equal(r.exitCode, 0, 'exit 0', { output: r.all });
  const plan = JSON.parse(r.stdout) as { file: string; kernel: string }[];
  t.same(plan.map((e) => [e.file.replace(/.*\/tests\//, ''), e.kernel]), [
    ['deep/uses-above.yaml', 'above'], ['deep/uses-env.yaml', 'from-env'], ['uses-beside.yaml', 'beside'],
  ], 'each found; the recipe beside the scenarios is not taken for a scenario');
  const without = await cli(['list', join(repo, 'tests')]);
  t.equal(without.exitCode, 2, 'without BPF_HARNESS_KERNELS, from-env is unknown');
  t.match(without.stderr, /uses-env\.yaml:2:\d+: error: kernels\[0\]: unknown kernel "from-env"/);

  // One name, two recipes, for two scenarios: ambiguous.
  mkdirSync(join(repo, 'other'));
  writeFileSync(join(repo, 'other', 'beside.yaml'), recipe('beside', 'debian-6.1'));
  writeFileSync(join(repo, 'other', 'uses-beside.yaml'), scenario('beside'));
  const amb = await cli(['list', join(repo, 'tests', 'uses-beside.yaml'), join(repo, 'other', 'uses-beside.yaml')]);
  t.equal(amb.exitCode, 2);
  t.match(amb.stderr, /kernel "beside" means .*tests\/beside\.yaml for .*tests\/uses-beside\.yaml and .*other\/beside\.yaml for .*other\/uses-beside\.yaml/);
});

t.test('init writes a suite that runs as written, and refuses a folder in use', async (t) => {
  const dir = join(mkdtempSync(join(tmpdir(), 'suite-init-')), 'mine');
  const r = await cli(['init', dir]);
  t.equal(r.exitCode, 0, 'exit 0', { output: r.all });
  for (const f of ['first.yaml', 'progs/keep_short.bpf.c', 'kernels/my-kernel.yaml', 'README.md']) t.ok(existsSync(join(dir, f)), f);
  t.match(readFileSync(join(dir, 'README.md'), 'utf8'), `bpf-harness run ${dir}`);
  t.equal((await cli(['validate', dir])).exitCode, 0, 'valid');
  const out = outDir();
  const run = await cli(['run', dir, '--out', out]);
  t.equal(run.exitCode, 0, 'it runs, on the recipe beside it', { output: run.all });
  t.match(run.stdout, /PASS .*mine\/first\.yaml \[my-kernel\]/);
  // Without --reporter: spec on stdout, and JUnit and the HTML report beside results.json.
  t.match(readFileSync(join(out, 'junit.xml'), 'utf8'), /<testcase name="keep_short loads and the verifier reads it as a socket filter \[my-kernel\]"/);
  t.match(readFileSync(join(out, 'report.html'), 'utf8'), /<tr data-outcome="pass" data-kernel="my-kernel">/);

  const again = await cli(['init', dir]);
  t.equal(again.exitCode, 2);
  t.match(again.stderr, /exists and is not empty/);
});

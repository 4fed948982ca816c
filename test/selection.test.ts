// What a run would run, through the real CLI and without booting: list with the selection
// flags (--grep, --exclude, --tag, --kernel), validate, an empty selection (exit 2, so a
// typo in CI is red), and --version.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../common/paths.js';
import { cli, fixture } from './helpers/cli.js';

interface Listed { file: string; kernel: string; tags: string[] }
const listed = async (...args: string[]) => {
  const r = await cli(['list', ...args, '--json']);
  t.equal(r.exitCode, 0, `list ${args.join(' ')}`, { output: r.all });
  return JSON.parse(r.stdout) as Listed[];
};
const files = (l: Listed[]) => [...new Set(l.map((e) => e.file.replace(/^scenarios\/basics\//, '')))].sort();

t.test('list: the plan, narrowed by --grep, --exclude and --tag', async (t) => {
  const all = await listed('scenarios/basics');
  t.same(files(all), ['btf-task-read.yaml', 'loops.yaml', 'map-value-null-check.yaml', 'uninit-register.yaml', 'xdp-bounds-checked.yaml', 'xdp-unchecked-read.yaml']);
  t.same([...new Set(all.map((e) => e.kernel))].sort(), ['debian-6.1', 'debian-6.12'], 'each on its own kernels');
  t.same(files(await listed('scenarios/basics', '--tag', 'xdp')), ['xdp-bounds-checked.yaml', 'xdp-unchecked-read.yaml'], '--tag is exact');
  t.same(files(await listed('scenarios/basics', '--tag', 'xdp', '--tag', 'loops')), ['loops.yaml', 'xdp-bounds-checked.yaml', 'xdp-unchecked-read.yaml'], 'repeated: any of them');
  t.equal((await cli(['list', 'scenarios/basics', '--tag', 'xd'])).exitCode, 2, 'a tag is not a substring of another');
  t.same(files(await listed('scenarios/basics', '--exclude', 'xdp|loop')), ['btf-task-read.yaml', 'map-value-null-check.yaml', 'uninit-register.yaml']);
  t.same(files(await listed('scenarios/basics', '--grep', 'xdp', '--exclude', 'unchecked')), ['xdp-bounds-checked.yaml'], '--grep and --exclude together');
  const one = await listed('scenarios/basics/loops.yaml', '-k', 'debian-6.12');
  t.same(one.map((e) => e.kernel), ['debian-6.12'], '--kernel replaces the scenario\'s kernels');

  const text = await cli(['list', 'scenarios/upstream/verifier.yaml']);
  t.match(text.stdout, /scenarios\/upstream\/verifier\.yaml +\[debian-6\.12\] +the kernel's verifier selftests/);
  t.match(text.stdout, /selftests: \{tree: tools\/testing\/selftests\/bpf\/progs\/verifier_\*\.c\}/, 'a selftests scenario shows its sources');
  t.match(text.stdout, /2 runs: 1 scenario file on 2 kernels/);
});

t.test('an empty selection is exit 2, "nothing matched", for list and run alike', async (t) => {
  for (const cmd of ['list', 'run']) {
    const r = await cli([cmd, 'scenarios/basics', '--tag', 'no-such-tag']);
    t.equal(r.exitCode, 2, `${cmd}: exit 2`);
    t.match(r.stderr, /^nothing matched: 6 scenario file\(s\) under scenarios\/basics, none selected by --tag no-such-tag\n/);
  }
  const bad = await cli(['list', 'scenarios/basics', '--exclude', '(']);
  t.equal(bad.exitCode, 2);
  t.match(bad.stderr, /--exclude \(: missing closing \): `\(`\nhint: /);
});

t.test('validate: every file checked, every problem reported, exit 0 or 2', async (t) => {
  const good = await cli(['validate', 'scenarios']);
  t.equal(good.exitCode, 0, 'the shipped scenarios are valid', { output: good.all });
  t.match(good.stdout, /^\d+ scenario files: all valid$/);
  const bad = await cli(['validate', fixture('scenarios')]);
  t.equal(bad.exitCode, 2);
  t.match(bad.stderr, /malformed\.yaml:9:5: error: unknown key "exepct" in step "load"/, 'file, line and column');
  t.match(bad.stdout, /scenario files: \d+ valid, 1 with errors/);
});

t.test('--version and -V print the package version', async (t) => {
  const { version } = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string };
  for (const flag of ['--version', '-V']) {
    const r = await cli([flag]);
    t.equal(r.exitCode, 0);
    t.equal(r.stdout, `bpf-harness ${version}`);
  }
});

t.test('scenarios tagged full run only when --tag full or their file names them', async (t) => {
  const names = (l: Listed[]) => l.map((e) => e.file).sort();
  t.same(names(await listed('scenarios/runners')), ['scenarios/runners/test_progs-quick.yaml', 'scenarios/runners/test_verifier.yaml'], 'left out by default');
  t.same(names(await listed('scenarios/runners', '--tag', 'full')), ['scenarios/runners/test_progs.yaml'], '--tag full');
  t.same(names(await listed('scenarios/runners/test_progs.yaml')), ['scenarios/runners/test_progs.yaml'], 'its file named');
});

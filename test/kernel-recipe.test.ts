// Recipes after `extends`, patch file order, and fragment requests against a .config.
import t from 'tap';
import { execa } from 'execa';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BadInputError, InfraError } from '../common/errors.js';
import { gitSource } from '../kernels/source/git-source.js';
import { cli } from './helpers/cli.js';
import { loreSeries } from '../kernels/build/lore.js';
import { droppedOptions, parseFragment } from '../kernels/build/fragments.js';
import { patchFiles } from '../kernels/build/patches.js';
import { resolveRecipe } from '../kernels/recipe/recipe.js';
import { repoRoot } from '../common/paths.js';

function dir(files: Record<string, string>): string {
  const d = mkdtempSync(join(tmpdir(), 'bh-recipe-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(d, name, '..'), { recursive: true });
    writeFileSync(join(d, name), text);
  }
  return d;
}

t.test('extends inherits source, config and patches, then adds', async (t) => {
  const d = dir({
    'base.yaml': 'name: base\nsource: {debian-source: linux-source-6.12}\nconfig: {base: tinyconfig, fragments: [a.config]}\npatches: [p1]\n',
    'child.yaml': 'name: child\nextends: base\nconfig: {base: tinyconfig, fragments: [b.config]}\npatches: [p2]\n',
    'a.config': 'CONFIG_A=y\n', 'b.config': 'CONFIG_B=y\n', 'p1/0001-x.patch': '', 'p2/0001-y.patch': '',
  });
  const r = resolveRecipe(join(d, 'child.yaml'));
  t.equal(r.name, 'child');
  t.same(r.source, { kind: 'debian-source', pkg: 'linux-source-6.12' });
  t.same(r.config?.fragments, [join(d, 'a.config'), join(d, 'b.config')], 'parent fragments first');
  t.same(r.patches, [join(d, 'p1'), join(d, 'p2')], 'parent patches first');
  t.same(r.chain, [join(d, 'child.yaml'), join(d, 'base.yaml')]);
});

t.test('debian-source: PACKAGE=VERSION pins the version, inherited through extends', async (t) => {
  const d = dir({
    'pinned.yaml': 'name: pinned\nsource: {debian-source: linux-source-6.12=6.12.117-1~deb12u1}\nconfig: {base: tinyconfig}\n',
    'child.yaml': 'name: child\nextends: pinned\n',
  });
  t.same(resolveRecipe(join(d, 'child.yaml')).source, { kind: 'debian-source', pkg: 'linux-source-6.12', version: '6.12.117-1~deb12u1' });
});

t.test('extends errors: missing parent, cycle, missing patch dir', async (t) => {
  const d = dir({
    'orphan.yaml': 'name: orphan\nextends: nowhere\n',
    'a.yaml': 'name: a\nextends: b\n',
    'b.yaml': 'name: b\nextends: a\n',
    'nopatch.yaml': 'name: nopatch\nsource: {debian-source: linux-source-6.12}\nconfig: {base: tinyconfig}\npatches: [missing]\n',
  });
  t.throws(() => resolveRecipe(join(d, 'orphan.yaml')), /extends: nowhere, but there is no nowhere\.yaml beside it or in kernels\//);
  t.throws(() => resolveRecipe(join(d, 'a.yaml')), /extends forms a cycle/);
  const e = (() => { try { resolveRecipe(join(d, 'nopatch.yaml')); } catch (x) { return x; } })();
  t.ok(e instanceof BadInputError);
  t.match((e as Error).message, /patches: .*missing does not exist/);
});

t.test('tree fragments, drop: and modules: are inherited and added to', async (t) => {
  const d = dir({
    'base.yaml': 'name: base\nsource: {debian-source: linux-source-6.12}\nconfig:\n  base: tinyconfig\n  fragments: [a.config, {tree: tools/x/config}]\n  drop: {CONFIG_A: "why a"}\nmodules: [{tree: tools/m}]\n',
    'child.yaml': 'name: child\nextends: base\nconfig: {base: tinyconfig, fragments: [{tree: tools/y/config}], drop: {CONFIG_B: "why b"}}\nmodules: [{tree: tools/n}, {tree: tools/m, boot: false}]\n',
    'a.config': 'CONFIG_A=y\n',
  });
  const r = resolveRecipe(join(d, 'child.yaml'));
  t.same(r.config?.fragments, [join(d, 'a.config'), { tree: 'tools/x/config' }, { tree: 'tools/y/config' }]);
  t.same(r.config?.drop, { CONFIG_A: 'why a', CONFIG_B: 'why b' });
  t.same(r.modules, [{ dir: 'tools/m', boot: false }, { dir: 'tools/n', boot: true }], 'once each, parent first; a later entry decides boot');
  const sel = resolveRecipe(join(repoRoot, 'kernels', 'selftests-6.12.yaml'));
  t.same(sel.modules.filter((m) => m.boot).map((m) => m.dir), ['tools/testing/selftests/bpf/bpf_testmod'], 'only bpf_testmod at boot; test_progs loads the others itself');
  t.ok(Object.values(sel.config?.drop ?? {}).every((why) => why.length > 10), 'every drop says why');
});

t.test('the shipped recipes resolve', async (t) => {
  const scx = resolveRecipe(join(repoRoot, 'kernels', 'scx-6.12.yaml'));
  t.equal(scx.config?.base.kind, 'tinyconfig');
  t.equal(scx.config?.fragments.length, 3);
  t.equal(resolveRecipe(join(repoRoot, 'kernels', 'bpf-next.yaml')).source.kind, 'git');
});

t.test('patch files: directories sorted, files as given', async (t) => {
  const d = dir({ 's/0002-b.patch': '', 's/0001-a.patch': '', 's/notes.txt': '', 's/0000-cover-letter.patch': '', 'x.mbox': '' });
  t.same(patchFiles([join(d, 's'), join(d, 'x.mbox')]).map((f) => f.slice(d.length + 1)),
    ['s/0000-cover-letter.patch', 's/0001-a.patch', 's/0002-b.patch', 'x.mbox']);
});

t.test('dropped options name the fragment line', async (t) => {
  const d = dir({
    'f1.config': '# comment\nCONFIG_BPF=y\nCONFIG_DEBUG_INFO_BTF=y\n# CONFIG_MODULES is not set\n',
    'f2.config': 'CONFIG_NR_CPUS=8\nCONFIG_BPF=y\n',
  });
  t.same(parseFragment(join(d, 'f1.config')).map((r) => [r.option, r.value, r.line]),
    [['CONFIG_BPF', 'y', 2], ['CONFIG_DEBUG_INFO_BTF', 'y', 3], ['CONFIG_MODULES', undefined, 4]]);
  const finalConfig = 'CONFIG_BPF=y\nCONFIG_NR_CPUS=64\nCONFIG_MODULES=y\n# CONFIG_DEBUG_INFO_BTF is not set\n';
  const p = droppedOptions([join(d, 'f1.config'), join(d, 'f2.config')], finalConfig);
  t.same(p.map((x) => [x.file.slice(d.length + 1), x.line, x.message]), [
    ['f1.config', 3, 'CONFIG_DEBUG_INFO_BTF=y was asked for, but the final .config has it unset'],
    ['f1.config', 4, 'CONFIG_MODULES is not set was asked for, but the final .config has CONFIG_MODULES=y'],
    ['f2.config', 1, 'CONFIG_NR_CPUS=8 was asked for, but the final .config has CONFIG_NR_CPUS=64'],
  ]);
  t.match(p[0]?.hint, /depends on/);
});

t.test('{lore: MSGID} patches: schema, and a clear error when lore cannot be reached', async (t) => {
  const d = dir({
    'lore.yaml': 'name: lore\nextends: scx-6.12\npatches: [{lore: 20250116000000.1-1-nobody@example.com}]\n',
    'badlore.yaml': 'name: badlore\nextends: scx-6.12\npatches: [{lore: not a message id}]\n',
  });
  t.same(resolveRecipe(join(d, 'lore.yaml')).patches, [{ lore: '20250116000000.1-1-nobody@example.com' }]);
  t.throws(() => resolveRecipe(join(d, 'badlore.yaml')), /badlore\.yaml:3:18: error: patches\[0\]\.lore: expected a Message-ID/);
  // These machines reach no mail archive: b4 fails, and the error says what to do instead.
  const err = await loreSeries('20250116000000.1-1-nobody@example.com').then(() => undefined, (e: unknown) => e);
  t.ok(err instanceof InfraError, 'infrastructure error (exit 3)');
  t.match((err as Error).message, /b4 could not fetch 20250116000000\.1-1-nobody@example\.com/);
  t.match((err as Error).message, /save the series as an mbox file/);
});

t.test('bisect points: one patch per file, cover letters skipped', async (t) => {
  const { bisectPatches } = await import('../harness/compare/bisect.js');
  const series = join(repoRoot, 'kernels', 'patches', 'scx-kfunc-filter');
  t.same(bisectPatches(series).map((f) => f.slice(series.length + 1)), [
    '0001-sched_ext-Find-the-operation-a-struct_ops-program-im.patch',
    '0002-sched_ext-Check-the-kfunc-context-of-each-operation-.patch',
  ]);
  t.throws(() => bisectPatches(join(repoRoot, 'test', 'fixtures', 'patches', 'mbox')), /holds several patches; bisect needs one patch per file/);
});

t.test('a git ref that is an option is refused at validation: exit 2, file:line:col, nothing run', async (t) => {
  const d = dir({});
  const marker = join(d, 'ran');
  const recipe = join(d, 'evil.yaml');
  writeFileSync(recipe, `name: evil\nsource:\n  git:\n    url: https://example.org/linux.git\n    ref: "--upload-pack=touch ${marker}"\nconfig: {base: defconfig}\n`);
  const cache = join(d, 'cache');
  for (const args of [['kernel', 'build', recipe], ['run', 'scenarios/basics/loops.yaml', '--kernel', recipe, '--out', join(d, 'out')]]) {
    const r = await cli(args, { BPF_HARNESS_CACHE: cache });
    t.equal(r.exitCode, 2, `${args[0]}: exit 2`, { output: r.all });
    t.match(r.stderr, `${recipe}:5:10: error: source.git.ref: a git ref cannot start with "-"`, `${args[0]}: names the file, line and column`);
    t.match(r.stderr, '\n  hint: write the git ref itself', `${args[0]}: says what to do`);
    t.notMatch(r.all, /^\s+at /m, `${args[0]}: no stack trace`);
  }
  t.notOk(existsSync(marker), 'the command in the ref did not run');
  t.notOk(existsSync(cache), 'no cache made: nothing was fetched');
  t.notOk(existsSync(join(d, 'out')), 'no artifacts directory made');
});

t.test('git gets the url and ref after "--": a ref that reaches it unvalidated runs nothing', async (t) => {
  const d = dir({});
  const upstream = join(d, 'upstream');
  await execa('git', ['init', '-q', upstream]);
  await execa('git', ['-C', upstream, '-c', 'user.name=t', '-c', 'user.email=t@localhost', 'commit', '-q', '--allow-empty', '-m', 'one']);
  const before = process.env.BPF_HARNESS_CACHE;
  process.env.BPF_HARNESS_CACHE = join(d, 'cache');
  t.teardown(() => (before === undefined ? delete process.env.BPF_HARNESS_CACHE : (process.env.BPF_HARNESS_CACHE = before)));
  const marker = join(d, 'ran');
  const err = await gitSource(upstream, `--upload-pack=touch ${marker}`).then(() => undefined, (e: unknown) => e);
  t.ok(err instanceof InfraError, 'the fetch fails (no such ref), as an infrastructure error');
  t.notOk(existsSync(marker), 'git did not take the ref as --upload-pack');
  const ok = await gitSource(upstream, 'HEAD');
  t.match(ok.identity, new RegExp(`^git:${upstream}@[0-9a-f]{40}$`), 'an ordinary ref still fetches');
});

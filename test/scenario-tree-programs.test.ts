// programs: {tree: PATH} entries (files of the kernel's own source tree).
import t from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadScenario } from '../harness/scenario/load.js';

const dir = mkdtempSync(join(tmpdir(), 'bh-tree-prog-'));
const scenario = (programs: string) => {
  const f = join(dir, `s${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(f, `name: tree programs\nprograms:\n${programs}\nsteps:\n  - {load: simple, via: struct_ops}\n`);
  return f;
};

t.test('a tree path is kept as given, for the kernel to resolve', async (t) => {
  const s = loadScenario(scenario('  simple: {tree: tools/sched_ext/scx_simple.bpf.c}'));
  t.same(s.programs, { simple: { tree: 'tools/sched_ext/scx_simple.bpf.c' } });
});

t.test('absolute, upward or non-.c tree paths are refused at their position', async (t) => {
  for (const bad of ['/etc/passwd.c', '../outside.bpf.c', 'tools/sched_ext/../../x.c', 'tools/sched_ext/README.md']) {
    const f = scenario(`  simple: {tree: ${bad}}`);
    t.throws(() => loadScenario(f), new RegExp(`:3:18: error: programs\\.simple\\.tree: expected a relative path to a \\.c file in the kernel tree`), bad);
  }
  t.throws(() => loadScenario(scenario('  simple: {tree: x.c, extra: 1}')), /unknown key "extra"/);
});

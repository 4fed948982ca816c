// What a scenario names stays in its sandbox after symlinks, not only in its text: a
// log_file, a program source, a selftests glob (braces included), and what a program
// #includes; and a timeout of 0 (a watchdog switched off) is bad input. Each refusal
// names the file, line and column, and nothing is compiled, read or written.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { loadScenario } from '../harness/scenario/load.js';
import { buildProgram } from '../harness/programs/build.js';
import { BadInputError } from '../common/errors.js';
import { badInput } from './helpers/bad-input.js';
import { cli } from './helpers/cli.js';
import { ownCache } from './helpers/own-cache.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'containment-'));
t.teardown(() => rmSync(root, { recursive: true, force: true }));
// The scenario's repository: its sandbox.
const repo = path.join(root, 'suite');
mkdirSync(path.join(repo, '.git'), { recursive: true });
mkdirSync(path.join(repo, 'progs'));
const outside = path.join(root, 'outside');
mkdirSync(outside);
writeFileSync(path.join(outside, 'secret.txt'), 'not for reports\n');
writeFileSync(path.join(outside, 'prog.bpf.c'), 'char LICENSE[] __attribute__((section("license"))) = "GPL";\n');
// A link inside the suite to a folder outside it.
symlinkSync(outside, path.join(repo, 'elsewhere'));
writeFileSync(path.join(repo, 'progs', 'ok.bpf.c'), '#include "ok.h"\nchar LICENSE[] __attribute__((section("license"))) = "GPL";\n');
writeFileSync(path.join(repo, 'progs', 'ok.h'), '#define OK 1\n');

let n = 0;
const put = (yaml: string) => {
  const file = path.join(repo, `case-${++n}.yaml`);
  writeFileSync(file, yaml);
  return file;
};

const CASES: { name: string; yaml: string; at: string; message: RegExp }[] = [
  {
    name: 'log_file through a symlink out of the scenario folder',
    yaml: 'name: t\nprograms: {p: progs/ok.bpf.c}\nsteps:\n  - load: p\n    log_file: elsewhere/secret.txt\n',
    at: '5:15', message: /log_file: "elsewhere\/secret\.txt" leads to \S+\/outside\/secret\.txt, outside the scenario's directory, through a symlink/,
  },
  {
    name: 'a program source through a symlink out of the repository',
    yaml: 'name: t\nprograms: {p: elsewhere/prog.bpf.c}\nsteps:\n  - load: p\n',
    at: '2:15', message: /programs\.p: .*outside/,
  },
  {
    name: 'a selftests glob whose braces climb out of the tree',
    yaml: 'name: t\nkernels: [scx-6.12]\nselftests: [{tree: "{..,a}/outside/*.c"}]\n',
    at: '3:20', message: /selftests\[0\]\.tree/,
  },
  {
    name: 'a selftests glob whose braces name an absolute path',
    yaml: 'name: t\nkernels: [scx-6.12]\nselftests: [{tree: "{/etc,x}/*.c"}]\n',
    at: '3:20', message: /selftests\[0\]\.tree/,
  },
  {
    name: 'timeout: 0 switches the watchdog off',
    yaml: 'name: t\nsteps:\n  - run: "true"\n    timeout: 0\n',
    at: '4:14', message: /timeout: .*at least 100ms/,
  },
  {
    name: 'timeout: "0s" too',
    yaml: 'name: t\nsteps:\n  - run: "true"\n    timeout: "0s"\n',
    at: '4:14', message: /timeout: .*at least 100ms/,
  },
  {
    name: 'dmesg within: 0',
    yaml: 'name: t\nsteps:\n  - dmesg: {within: 0}\n',
    at: '3:21', message: /within: .*at least 100ms/,
  },
];

t.test('refused where the file is validated, with file:line:col', async (t) => {
  for (const c of CASES) {
    const e = badInput(() => loadScenario(put(c.yaml)));
    t.match(e.message, c.message, `${c.name}: says what`);
    t.equal(`${e.line}:${e.col}`, c.at, `${c.name}: where`);
    t.match(e.message, /\n {2}hint: \S/, `${c.name}: a hint`);
    t.notMatch(e.message, /not for reports/, `${c.name}: nothing of the file outside`);
  }
  // The CLI too: exit 2, every file listed.
  const r = await cli(['validate', repo]);
  t.equal(r.exitCode, 2, 'validate: exit 2', { output: r.all });
  t.match(r.stdout, new RegExp(`^${CASES.length} scenario files: 0 valid, ${CASES.length} with errors`, 'm'));
  t.notMatch(r.all, /not for reports|^\s+at /m, 'no file content, no stack trace');
});

t.test('a program may include its sandbox and the include path only (clang -M -MG first)', async (t) => {
  const cache = ownCache(t);
  t.ok(existsSync(await buildProgram(path.join(repo, 'progs', 'ok.bpf.c'), [], { sandbox: repo })), 'a header beside it: compiled');
  for (const [name, include] of [
    ['an absolute path', '/etc/passwd'],
    ['a link in the sandbox to a file outside', '../elsewhere/secret.txt'],
  ] as const) {
    const src = path.join(repo, 'progs', `inc-${n++}.bpf.c`);
    writeFileSync(src, `#include "${include}"\nchar LICENSE[] __attribute__((section("license"))) = "GPL";\n`);
    const e = await buildProgram(src, [], { sandbox: repo }).then(() => undefined, (err: unknown) => err);
    t.ok(e instanceof BadInputError, `${name}: bad input`);
    t.match((e as Error).message, /reads .*, outside the scenario's folder \(or repository\) and the include path, after symlinks: not compiled/, `${name}: says why`);
    t.notMatch((e as Error).message, /not for reports|root:/, `${name}: nothing of the file in the message`);
  }
  const objects = readdirSync(path.join(cache), { recursive: true }).map(String).filter((f) => f.endsWith('.o'));
  t.equal(objects.length, 1, 'only the good program was compiled');
});

t.test('a compiled program is found again from another copy of its repository, and only while what it read is unchanged and inside', async (t) => {
  const cache = ownCache(t);
  // Two clones of one suite: a program including a header of a parent folder.
  const copy = (name: string) => {
    const r = path.join(root, name);
    mkdirSync(path.join(r, '.git'), { recursive: true });
    mkdirSync(path.join(r, 'include'));
    mkdirSync(path.join(r, 'progs', 'a'), { recursive: true });
    writeFileSync(path.join(r, 'include', 'common.h'), '#define COMMON 1\n');
    writeFileSync(path.join(r, 'progs', 'a', 'p.bpf.c'), '#include "../../include/common.h"\nint x = COMMON;\nchar LICENSE[] __attribute__((section("license"))) = "GPL";\n');
    return r;
  };
  const [one, two] = [copy('clone-1'), copy('clone-2')];
  const objects = () => readdirSync(cache, { recursive: true }).map(String).filter((f) => f.endsWith('.o')).length;
  const first = await buildProgram(path.join(one, 'progs', 'a', 'p.bpf.c'), [], { sandbox: one });
  t.equal(await buildProgram(path.join(two, 'progs', 'a', 'p.bpf.c'), [], { sandbox: two }), first, 'the other clone gets the same object');
  t.equal(objects(), 1, 'compiled once');
  // The parent folder's header changes in one clone: its manifest no longer matches there.
  writeFileSync(path.join(two, 'include', 'common.h'), '#define COMMON 2\n');
  const before = readdirSync(cache, { recursive: true }).map(String).filter((f) => f.endsWith('.o')).map((f) => path.join(cache, f)).map((f) => readFileSync(f));
  await buildProgram(path.join(two, 'progs', 'a', 'p.bpf.c'), [], { sandbox: two });
  const after = readdirSync(cache, { recursive: true }).map(String).filter((f) => f.endsWith('.o')).map((f) => path.join(cache, f)).map((f) => readFileSync(f));
  t.notSame(after, before, 'a changed header of a parent folder compiles again');
  // The header becomes a link out of the sandbox, with the same bytes: the cached object is not handed out.
  rmSync(path.join(two, 'include', 'common.h'));
  writeFileSync(path.join(outside, 'common.h'), '#define COMMON 2\n');
  symlinkSync(path.join(outside, 'common.h'), path.join(two, 'include', 'common.h'));
  const e = await buildProgram(path.join(two, 'progs', 'a', 'p.bpf.c'), [], { sandbox: two }).then(() => undefined, (err: unknown) => err);
  t.ok(e instanceof BadInputError, 'refused, as a first compile would be');
  t.match((e as Error).message, /outside the scenario's folder/);
});

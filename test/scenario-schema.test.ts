// Scenario and recipe schemas: every bad input names its problem at the right line:col.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { z } from 'zod';
import { loadScenario } from '../harness/scenario/load.js';
import { scenarioSchema } from '../harness/scenario/schema.js';
import type { Scenario } from '../harness/scenario/types.js';
import { loadRecipeFile } from '../kernels/recipe/load.js';
import { recipeSchema } from '../kernels/recipe/schema.js';
import { parseComparison } from '../harness/scenario/comparison.js';
import { badInput } from './helpers/bad-input.js';
import { BAD_COMPARISONS, BAD_PATTERNS, GOOD_COMPARISONS, GOOD_PATTERNS } from './helpers/grammar-cases.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'scenario-schema-'));
mkdirSync(path.join(dir, 'progs'));
writeFileSync(path.join(dir, 'progs/cap.bpf.c'), '// tiny\nchar LICENSE[] SEC("license") = "GPL";\n');
writeFileSync(path.join(dir, 'progs/scx_cap_test.bpf.c'), '// tiny\n');
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function put(yaml: string, ext = 'yaml'): string {
  const file = path.join(dir, `case-${++n}.${ext}`);
  writeFileSync(file, yaml);
  return file;
}

// Lines 1-4; the first step is on line 5, its keys at column 5.
const HEAD = 'name: t\nprograms:\n  cap: progs/cap.bpf.c\nsteps:\n';

interface Bad {
  name: string;
  yaml: string;
  at: string; // line:col of the first problem
  message: string; // the first problem's text after "error: "
}

const badScenarios: Bad[] = [
  { name: 'unknown top-level key', yaml: `${HEAD}  - load: cap\ncolour: red\n`, at: '6:1', message: 'unknown top-level key "colour" (known: name, seed, tags, kernels, requires, programs, skip, fresh, known_crashes, exact_logs, network, memory, steps, runner, selftests, unpriv, deny, expect_by_kernel, normalize)' },
  {
    name: 'unknown expect key',
    yaml: `${HEAD}  - id: register\n    load: cap\n    expect:\n      loded: true\n`,
    at: '8:7',
    message: 'unknown key "loded" in step "register" expect (known: loaded, errno, log, not_log, insns, states, exit, stdout, stderr, skip)',
  },
  { name: 'unknown step key', yaml: `${HEAD}  - id: register\n    load: cap\n    exepct: {}\n`, at: '7:5', message: 'unknown key "exepct" in step "register" (known: id, load, run, dmesg, via, as, expect, log_file, timeout)' },
  { name: 'wrong type for loaded', yaml: `${HEAD}  - id: register\n    load: cap\n    expect:\n      loaded: yes\n`, at: '8:15', message: 'step "register" expect.loaded: expected true or false, got the string "yes"' },
  { name: 'empty value for loaded points at the key', yaml: `${HEAD}  - load: cap\n    expect:\n      loaded:\n`, at: '7:7', message: 'step "step-1" expect.loaded: expected true or false, got nothing' },
  { name: 'step with both load and run', yaml: `${HEAD}  - load: cap\n    run: ls\n`, at: '6:5', message: 'step "step-1": both "load:" and "run:" given; a step does one thing' },
  { name: 'step with none of load, run, dmesg', yaml: `${HEAD}  - expect: {exit: 0}\n`, at: '5:5', message: 'step "step-1": none of load:, run:, dmesg: given' },
  { name: 'load naming an unknown program', yaml: `${HEAD}  - load: capp\n`, at: '5:11', message: 'step "step-1" load: "capp" is not a program of this scenario (programs: cap)' },
  { name: 'missing program file', yaml: 'name: t\nprograms:\n  cap: progs/missing.bpf.c\nsteps:\n  - load: cap\n', at: '3:8', message: `programs.cap: no such file: ${path.join(dir, 'progs/missing.bpf.c')}` },
  { name: 'bad duration', yaml: `${HEAD}  - dmesg: {within: 5 sec}\n`, at: '5:21', message: 'step "step-1" dmesg.within: expected a duration like 5s, 500ms, 2m or a number of seconds, got the string "5 sec"' },
  { name: 'duration of the wrong type', yaml: `${HEAD}  - run: ls\n    timeout: true\n`, at: '6:14', message: 'step "step-1" timeout: expected a duration like 5s, 500ms, 2m or a number of seconds, got boolean true' },
  { name: 'bad errno', yaml: `${HEAD}  - load: cap\n    expect: {loaded: false, errno: eacces}\n`, at: '6:36', message: 'step "step-1" expect.errno: expected an errno name like EACCES or EPERM, got the string "eacces"' },
  {
    name: 'bad regex inside {{}} points at the list item',
    yaml: `${HEAD}  - load: cap\n    expect:\n      log: ["ok", "processed {{[0-9+}} insns"]\n`,
    at: '7:19',
    message: 'step "step-1" expect.log[1]: bad regex {{[0-9+}}: missing closing ]: `[0-9+`',
  },
  { name: 'unterminated {{', yaml: `${HEAD}  - load: cap\n    expect:\n      not_log:\n        - "x {{[0-9]+"\n`, at: '8:11', message: 'step "step-1" expect.not_log[0]: unterminated "{{" at offset 2' },
  { name: 'duplicate step id', yaml: `${HEAD}  - load: cap\n    id: a\n  - run: ls\n    id: a\n`, at: '8:9', message: 'step "a" id: duplicate step id "a" (step 1 has it too)' },
  { name: 'default id collides', yaml: `${HEAD}  - load: cap\n  - run: ls\n    id: step-1\n`, at: '7:9', message: 'step "step-1" id: duplicate step id "step-1" (step 1 has it too)' },
  { name: 'expect_by_kernel naming an unknown step', yaml: `${HEAD}  - load: cap\n    id: a\nexpect_by_kernel:\n  k1:\n    b: {skip: true}\n`, at: '9:5', message: 'expect_by_kernel.k1: no step "b" in this scenario (steps: a)' },
  { name: 'expect_by_kernel with a key of another step kind', yaml: `${HEAD}  - load: cap\n    id: a\nexpect_by_kernel:\n  k1:\n    a: {exit: 1}\n`, at: '9:9', message: 'expect_by_kernel.k1.a: "exit" does not apply to a load step' },
  { name: 'bad comparison', yaml: `${HEAD}  - load: cap\n    expect: {insns: "about 1000"}\n`, at: '6:21', message: 'step "step-1" expect.insns: expected a comparison like "<= 1000", "< 50", ">= 3", "== 12", "!= 0" or a number' },
  { name: 'comparison with a count past 2^53', yaml: `${HEAD}  - load: cap\n    expect: {states: "<= 99999999999999999999"}\n`, at: '6:22', message: 'step "step-1" expect.states: expected a comparison like "<= 1000", "< 50", ">= 3", "== 12", "!= 0" or a number, got "<= 99999999999999999999" (counts are whole numbers up to 2^53-1)' },
  {
    name: 'regex parts that compile alone but not together',
    yaml: `${HEAD}  - load: cap\n    expect:\n      log: ["{{(?<r>R[0-9])}} = {{(?<r>R[0-9])}}"]\n`,
    at: '7:13',
    message: 'step "step-1" expect.log[0]: the regex parts do not fit together: duplicate capture group name: `r`',
  },
  {
    name: 'pattern with a lookahead (RE2 has none)',
    yaml: `${HEAD}  - run: ls\n    expect:\n      stdout: ["total {{[0-9]+(?= )}}"]\n`,
    at: '7:16',
    message: 'step "step-1" expect.stdout[0]: bad regex {{[0-9]+(?= )}}: invalid or unsupported Perl syntax: `(?=`',
  },
  { name: 'normalize regex with a backreference (RE2 has none)', yaml: `${HEAD}  - load: cap\nnormalize:\n  - {match: "(x+)y\\\\1", replace: x}\n`, at: '7:13', message: 'normalize[0].match: invalid escape sequence: `\\1`' },
  { name: 'bad kconfig item', yaml: 'name: t\nrequires: {kconfig: [CONFIG_A=y, config_b]}\nsteps:\n  - run: ls\n', at: '2:34', message: 'requires.kconfig[1]: expected CONFIG_NAME or CONFIG_NAME=value, got the string "config_b"' },
  { name: 'YAML syntax error: unclosed flow list', yaml: 'name: t\ntags: [a, b\nsteps:\n  - run: ls\n', at: '3:1', message: 'invalid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]' },
  { name: 'YAML syntax error: duplicate key', yaml: 'name: t\nname: u\nsteps:\n  - run: ls\n', at: '2:1', message: 'invalid YAML: Map keys must be unique' },
  { name: 'bad as value', yaml: `${HEAD}  - load: cap\n    as: admin\n`, at: '6:9', message: 'step "step-1" as: expected root, user, {caps: [...]} or {token: {cmds, maps, progs, attachs}}, got the string "admin"' },
  { name: 'bad token key', yaml: `${HEAD}  - load: cap\n    as: {token: {cmd: [prog_load]}}\n`, at: '6:18', message: 'unknown key "cmd" in step "step-1" as.token (known: cmds, maps, progs, attachs)' },
  { name: 'unknown capability', yaml: `${HEAD}  - load: cap\n    as: {caps: [bpf, CAP_PERFMON, cap_foo]}\n`, at: '6:35', message: 'step "step-1" as.caps[2]: unknown capability "cap_foo"' },
  { name: 'empty steps', yaml: 'name: t\nsteps: []\n', at: '2:8', message: 'steps: a scenario needs at least one step' },
  { name: 'an unknown runner', yaml: 'name: t\nrunner:\n  name: test_prog\n', at: '3:9', message: 'runner.name: expected one of test_progs, test_progs-no_alu32, test_progs-cpuv4, test_verifier, test_maps, got the string "test_prog"' },
  { name: 'a deny entry that is two names', yaml: 'name: t\nrunner:\n  name: test_progs\n  deny: {"align,bpf_cookie": flaky}\n', at: '4:10', message: 'runner.deny: key "align,bpf_cookie": expected a test name, TEST/SUBTEST or a * glob' },
  { name: 'memory too small', yaml: 'name: t\nmemory: 32M\nrunner: {name: test_verifier}\n', at: '2:9', message: 'memory: expected from 64M to 256G' },
  // A JS object takes __proto__ as its prototype: the program would vanish unseen.
  { name: '__proto__ as a program name', yaml: 'name: t\nprograms:\n  __proto__: progs/cap.bpf.c\nsteps:\n  - run: "true"\n', at: '3:3', message: 'the key "__proto__" cannot be used' },
  { name: 'quoted "__proto__" anywhere', yaml: `${HEAD}  - load: cap\n    expect: {"__proto__": {loaded: true}}\n`, at: '6:14', message: 'the key "__proto__" cannot be used' },
  { name: 'known_crashes: a title RE2 cannot take', yaml: `${HEAD}  - load: cap\nknown_crashes:\n  - {title: "(?=x)", why: w}\n`, at: '7:13', message: 'known_crashes[0].title: invalid or unsupported Perl syntax' },
  { name: 'known_crashes: no why', yaml: `${HEAD}  - load: cap\nknown_crashes:\n  - {title: "WARNING in x"}\n`, at: '7:5', message: 'missing key "why" in known_crashes[0]' },
  { name: 'normalize bad regex', yaml: `${HEAD}  - load: cap\nnormalize:\n  - {match: "(", replace: x}\n`, at: '7:13', message: 'normalize[0].match: missing closing ): `(`' },
  { name: 'tab indentation', yaml: 'name: t\n\tseed: x\nsteps:\n  - run: ls\n', at: '2:1', message: 'invalid YAML: Tabs are not allowed as indentation' },
  { name: 'bad indentation in a step', yaml: 'name: t\nsteps:\n  - run: ls\n   expect: {}\n', at: '4:1', message: 'invalid YAML: Sequence item without - indicator' },
  { name: 'missing name points at the parent mapping', yaml: 'seed: x\nsteps:\n  - run: ls\n', at: '1:1', message: 'missing key "name" at top level' },
  { name: 'missing dmesg.within', yaml: `${HEAD}  - dmesg: {}\n`, at: '5:12', message: 'missing key "within" in step "step-1" dmesg' },
  { name: 'via on a run step', yaml: `${HEAD}  - run: ls\n    via: prog\n`, at: '6:5', message: 'step "step-1": "via" applies to load steps only, this is a run step' },
  { name: 'errno with loaded: true', yaml: `${HEAD}  - load: cap\n    expect: {loaded: true, errno: EPERM}\n`, at: '6:28', message: 'step "step-1" expect: errno is only checked when the load fails, but loaded is true' },
  { name: 'bad step id', yaml: `${HEAD}  - load: cap\n    id: "bad id"\n`, at: '6:9', message: 'step "bad id" id: a step id is letters, digits, _ . - (starting with a letter or digit)' },
  { name: 'bad kernel name key', yaml: `${HEAD}  - load: cap\nexpect_by_kernel:\n  "bad kernel": {}\n`, at: '7:3', message: 'expect_by_kernel: key "bad kernel": a kernel name is letters' },
  { name: 'file that is a list', yaml: '- a\n- b\n', at: '1:1', message: 'the file: expected a mapping, got a list' },
  { name: 'empty file', yaml: '', at: '1:1', message: 'the file is empty' },
  { name: 'log_file that is an absolute path', yaml: `${HEAD}  - load: cap\n    log_file: /tmp/x.log\n`, at: '6:15', message: 'step "step-1" log_file: expected a path relative to the scenario file, got the absolute path "/tmp/x.log"' },
  { name: 'log_file leaving the scenario directory', yaml: `${HEAD}  - load: cap\n    log_file: golden/{kernel}/../../../x.log\n`, at: '6:15', message: 'step "step-1" log_file: "golden/{kernel}/../../../x.log" leaves the scenario\'s directory' },
  { name: 'program name that is a path', yaml: 'name: t\nprograms:\n  ../cap: progs/cap.bpf.c\nsteps:\n  - load: ../cap\n', at: '3:3', message: 'programs: key "../cap": a program name is letters, digits, _ and - only' },
  { name: 'program name with a dot', yaml: 'name: t\nprograms:\n  cap.o: progs/cap.bpf.c\nsteps:\n  - load: cap.o\n', at: '3:3', message: 'programs: key "cap.o": a program name is letters, digits, _ and - only' },
  { name: 'whole number expected', yaml: `${HEAD}  - run: ls\n    expect: {exit: 1.5}\n`, at: '6:20', message: 'step "step-1" expect.exit: expected a whole number, got number 1.5' },
  // selftests: (the file names in them are checked at run time, against each kernel's tree)
  { name: 'selftests file that does not exist', yaml: 'name: t\nselftests:\n  - progs/nope.c\n', at: '3:5', message: 'selftests[0]: no such file: ' },
  { name: 'selftests tree glob leaving the tree', yaml: 'name: t\nselftests:\n  - {tree: "../x/*.c"}\n', at: '3:12', message: 'selftests[0].tree: expected a relative path or glob of .c files in the kernel tree, e.g. tools/testing/selftests/bpf/progs/verifier_*.c, got the string "../x/*.c"' },
  { name: 'deny key that is not FILE/PROG', yaml: 'name: t\nselftests:\n  - {tree: a.c}\ndeny:\n  verifier_and.c: why\n', at: '5:3', message: 'deny: key "verifier_and.c": expected FILE/PROG or FILE/PROG @unpriv, e.g. verifier_and.c/invalid_range_check' },
  { name: 'program override without a reason', yaml: 'name: t\nselftests:\n  - {tree: a.c}\nexpect_by_kernel:\n  debian-6.12:\n    a.c/p: {skip: true}\n', at: '6:19', message: 'expect_by_kernel.debian-6.12.a.c/p.skip: a selftest program override needs skip: "the reason"' },
  { name: 'program override with step expectations', yaml: 'name: t\nselftests:\n  - {tree: a.c}\nexpect_by_kernel:\n  debian-6.12:\n    a.c/p: {loaded: false, skip: why}\n', at: '6:13', message: 'expect_by_kernel.debian-6.12.a.c/p: "loaded" does not apply to a selftest program (FILE/PROG keys take: skip)' },
  { name: 'program override in a scenario without selftests', yaml: `${HEAD}  - load: cap\nexpect_by_kernel:\n  debian-6.12:\n    a.c/p: {skip: why}\n`, at: '8:5', message: 'expect_by_kernel.debian-6.12: no step "a.c/p" in this scenario (steps: step-1)' },
  { name: 'unpriv neither run nor skip', yaml: 'name: t\nselftests:\n  - {tree: a.c}\nunpriv: maybe\n', at: '4:9', message: 'unpriv: expected one of run, skip, got the string "maybe"' },
];

t.test('bad scenarios', async (t) => {
  for (const c of badScenarios) {
    t.test(c.name, async (t) => {
      const e = badInput(() => loadScenario(put(c.yaml)));
      t.equal(`${e.line}:${e.col}`, c.at, 'position of the first problem');
      t.match(e.message, `:${c.at}: error: ${c.message}`);
      t.match(e.message, /\n {2}hint: \S/, 'a hint line');
      t.notMatch(e.message, /\n\s+at .*:\d+:\d+\)?$/m, 'no stack trace');
      t.ok(e.hint, 'hint field set');
    });
  }
});

t.test('log_file may go up and down inside the scenario directory; program names take _ and -', async (t) => {
  const s = loadScenario(put('name: t\nprograms:\n  my-prog_2: progs/cap.bpf.c\nsteps:\n  - load: my-prog_2\n    log_file: golden/{kernel}/../shared.log\n'));
  t.same(Object.keys(s.programs), ['my-prog_2']);
  t.equal(s.steps[0]?.kind === 'load' ? s.steps[0].log_file : undefined, 'golden/{kernel}/../shared.log');
});

// expect.test.ts runs the same cases through the matcher.
t.test('the schema accepts exactly the patterns and comparisons the matcher runs', async (t) => {
  const withLog = (p: string) => `${HEAD}  - load: cap\n    expect:\n      log: [${JSON.stringify(p)}]\n`;
  for (const [p] of GOOD_PATTERNS) t.doesNotThrow(() => loadScenario(put(withLog(p))), `${JSON.stringify(p)} validates`);
  for (const [p, why] of BAD_PATTERNS) {
    const e = badInput(() => loadScenario(put(withLog(p))));
    t.equal(`${e.line}:${e.col}`, '7:13', `${JSON.stringify(p)}: at the pattern`);
    t.match(e.problems[0]?.message, new RegExp(`^step "step-1" expect\\.log\\[0\\]: ${why.source.slice(1)}`), `${JSON.stringify(p)}: says why`);
  }
  const withInsns = (c: string | number) => `${HEAD}  - load: cap\n    expect:\n      insns: ${JSON.stringify(c)}\n`;
  for (const [c] of GOOD_COMPARISONS) {
    const s = loadScenario(put(withInsns(c)));
    t.same(parseComparison(s.steps[0]!.expect.insns!), parseComparison(c), `${JSON.stringify(c)} validates, meaning the same`);
  }
  for (const c of BAD_COMPARISONS) {
    const e = badInput(() => loadScenario(put(withInsns(c))));
    t.equal(`${e.line}:${e.col}`, '7:14', `${JSON.stringify(c)} is refused at its position`);
  }
});

t.test('several problems: all reported in file order, the first in the fields', async (t) => {
  const yaml = `${HEAD}  - run: ls\n    via: prog\n    timeout: 10 parsecs\n    expect: {loaded: true}\ncolour: red\n`;
  const e = badInput(() => loadScenario(put(yaml)));
  const lines = e.message.split('\n').filter((l) => l.includes(': error: '));
  t.same(
    lines.map((l) => l.replace(/^.*?:(\d+:\d+): error: /, '$1 ')),
    [
      '6:5 step "step-1": "via" applies to load steps only, this is a run step',
      '7:14 step "step-1" timeout: expected a duration like 5s, 500ms, 2m or a number of seconds, got the string "10 parsecs"',
      '8:14 step "step-1" expect: "loaded" does not apply to a run step (run steps take: exit, stdout, stderr, skip)',
      '9:1 unknown top-level key "colour" (known: name, seed, tags, kernels, requires, programs, skip, fresh, known_crashes, exact_logs, network, memory, steps, runner, selftests, unpriv, deny, expect_by_kernel, normalize)',
    ],
  );
  t.equal(e.problems.length, 4);
  t.equal(`${e.line}:${e.col}`, '6:5');
  t.equal(e.file, path.join(dir, `case-${n}.yaml`));
});

t.test('cross-key checks still run when other parts have type errors', async (t) => {
  const yaml = `${HEAD}  - load: cap\n    expect: {loaded: "no"}\n  - load: nope\nexpect_by_kernel:\n  k: {step-9: {}}\n`;
  const e = badInput(() => loadScenario(put(yaml)));
  t.same(
    e.problems.map((p) => `${p.line}:${p.col} ${p.message}`),
    [
      '6:22 step "step-1" expect.loaded: expected true or false, got the string "no"',
      '7:11 step "step-2" load: "nope" is not a program of this scenario (programs: cap)',
      '9:7 expect_by_kernel.k: no step "step-9" in this scenario (steps: step-1, step-2)',
    ],
  );
});

t.test('path in the message is relative to the cwd when inside it', async (t) => {
  const file = put('name: t\n');
  const cwd = process.cwd();
  process.chdir(dir);
  t.teardown(() => process.chdir(cwd));
  const e = badInput(() => loadScenario(path.basename(file)));
  t.equal(e.message.split('\n')[0], `${path.basename(file)}:1:1: error: steps: a scenario needs at least one step, selftests or a runner`);
  t.equal(e.file, file, 'the field stays absolute');
});

t.test('a file that does not exist', async (t) => {
  const e = badInput(() => loadScenario(path.join(dir, 'nope.yaml')));
  t.match(e.message, 'nope.yaml: error: cannot read the file (ENOENT)');
});

// The design's example scenario (the one in the README), with real files.
const designExample = `# scenarios/sched_ext/cap-test.yaml
name: dispatch-only kfunc called from ops.enqueue
seed: bpf-internal-capabilities     # the seed system it reproduces (free text)
tags: [sched_ext]
kernels: [scx-6.12, scx-6.12-kfunc-filter]   # defaults; --kernel overrides
requires:                            # unmet -> the scenario is SKIPPED, with the reason
  kconfig: [CONFIG_SCHED_CLASS_EXT=y]
programs:                            # built on the host per kernel, against its BTF
  cap_test: progs/scx_cap_test.bpf.c
steps:
  - id: register
    load: cap_test                   # an entry of programs:
    via: struct_ops                  # prog (bpftool prog loadall, default) | struct_ops
    as: root                         # root (default) | user | {caps: [bpf, perfmon]}
                                     # | {token: {cmds: [...], maps: [...], progs: [...], attachs: [...]}}
    expect:
      loaded: true                   # false: the load must fail (then errno: EACCES etc.)
      log: ["call scx_bpf_consume", "processed {{[0-9]+}} insns"]   # ordered; {{ERE}} inside
      not_log: ["invalid"]           # must not appear
  - id: ejected
    dmesg: {within: 5s}              # kernel messages since the scenario began
    expect:
      log: ['sched_ext: BPF scheduler "simple" disabled (runtime error)']
  - run: cat /sys/kernel/sched_ext/state   # shell in the guest (as root unless as: says)
    expect: {exit: 0, stdout: [disabled]}
expect_by_kernel:                    # A/B: per-kernel overrides of a step's expect, by step id
  scx-6.12-kfunc-filter:
    register: {loaded: false, errno: EACCES, log: ["calling kernel function scx_bpf_consume is not allowed"]}
    ejected: {skip: true}
`;

t.test('the design example parses to the expected Scenario', async (t) => {
  const file = put(designExample);
  const expected: Scenario = {
    file,
    name: 'dispatch-only kfunc called from ops.enqueue',
    seed: 'bpf-internal-capabilities',
    tags: ['sched_ext'],
    fresh: false,
    network: false,
    selftests: [],
    unpriv: 'run',
    deny: {},
    program_overrides: {},
    kernels: ['scx-6.12', 'scx-6.12-kfunc-filter'],
    requires: { kconfig: ['CONFIG_SCHED_CLASS_EXT=y'] },
    programs: { cap_test: path.join(dir, 'progs/scx_cap_test.bpf.c') },
    steps: [
      {
        kind: 'load',
        id: 'register',
        load: 'cap_test',
        via: 'struct_ops',
        as: 'root',
        expect: { loaded: true, log: ['call scx_bpf_consume', 'processed {{[0-9]+}} insns'], not_log: ['invalid'] },
        line: 11,
        col: 5,
      },
      {
        kind: 'dmesg',
        id: 'ejected',
        within_ms: 5000,
        as: 'root',
        expect: { log: ['sched_ext: BPF scheduler "simple" disabled (runtime error)'] },
        line: 20,
        col: 5,
      },
      { kind: 'run', id: 'step-3', run: 'cat /sys/kernel/sched_ext/state', as: 'root', expect: { exit: 0, stdout: ['disabled'] }, line: 24, col: 5 },
    ],
    expect_by_kernel: {
      'scx-6.12-kfunc-filter': {
        register: { loaded: false, errno: 'EACCES', log: ['calling kernel function scx_bpf_consume is not allowed'] },
        ejected: { skip: true },
      },
    },
    normalize: [],
  };
  t.strictSame(loadScenario(file), expected);
});

t.test('defaults and value normalization', async (t) => {
  const file = put(
    [
      'name: minimal',
      'programs: {cap: progs/cap.bpf.c}',
      'steps:',
      '  - load: cap',
      '    log_file: golden/cap.log',
      '    as: {caps: [CAP_BPF, perfmon]}',
      '    expect: {insns: "<=1000", states: 12}',
      '  - run: "true"',
      '    timeout: 2m',
      '    as: {token: {cmds: [prog_load], progs: [xdp], attachs: [any]}}',
      '  - dmesg: {within: 3}',
      '    as: user',
      '  - dmesg: {within: 250ms}',
      'normalize:',
      '  - {match: "id=\\\\d+", replace: "id=N"}',
      '',
    ].join('\n'),
  );
  const s = loadScenario(file);
  t.same(s.kernels, ['debian-6.12']);
  t.same(s.tags, []);
  t.same(s.requires, { kconfig: [] });
  t.same(s.expect_by_kernel, {});
  t.equal(s.seed, undefined);
  t.notOk('seed' in s, 'no seed key when absent');
  t.same(s.normalize, [{ match: 'id=\\d+', replace: 'id=N' }]);
  t.strictSame(s.steps, [
    { kind: 'load', id: 'step-1', load: 'cap', via: 'prog', log_file: 'golden/cap.log', as: { caps: ['bpf', 'perfmon'] }, expect: { insns: '<= 1000', states: '12' }, line: 4, col: 5 },
    { kind: 'run', id: 'step-2', run: 'true', timeout_ms: 120000, as: { token: { cmds: ['prog_load'], progs: ['xdp'], attachs: ['any'] } }, expect: {}, line: 8, col: 5 },
    { kind: 'dmesg', id: 'step-3', within_ms: 3000, as: 'user', expect: {}, line: 11, col: 5 },
    { kind: 'dmesg', id: 'step-4', within_ms: 250, as: 'root', expect: {}, line: 13, col: 5 },
  ]);
});

t.test('JSON Schema of the scenario file', async (t) => {
  const json = z.toJSONSchema(scenarioSchema(), { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' }) as Record<string, any>;
  t.equal(json['$schema'], 'https://json-schema.org/draft/2020-12/schema');
  t.equal(json['title'], 'bpf-harness scenario');
  t.same(json['required'], ['name']);
  t.same(json['anyOf'], [{ required: ['steps'] }, { required: ['selftests'] }, { required: ['runner'] }, { required: ['skip'] }], 'steps, selftests, a runner, or several; or the reason it is skipped');
  t.equal(json['additionalProperties'], false);
  t.same(json['properties'].steps.items.oneOf, [{ required: ['load'] }, { required: ['run'] }, { required: ['dmesg'] }]);
  t.type(json['properties'].steps.items.properties.via.description, 'string');
});

// --- kernel recipes ---------------------------------------------------------

const badRecipes: Bad[] = [
  { name: 'two sources', yaml: 'name: k\nsource:\n  debian-source: linux-source-6.12\n  path: ../linux\nconfig: {base: tinyconfig}\n', at: '4:3', message: 'source: both "debian-source" and "path" given; a recipe has exactly one source' },
  { name: 'empty source', yaml: 'name: k\nsource: {}\nconfig: {base: tinyconfig}\n', at: '2:9', message: 'source: no source given (one of debian-source, git, path, debian-image)' },
  { name: 'no source and no extends', yaml: 'name: k\nconfig: {base: tinyconfig}\n', at: '1:1', message: 'a recipe without extends: needs source:' },
  { name: 'unknown key in git', yaml: 'name: k\nsource:\n  git: {url: https://example.org/linux.git, ref: v6.12, depth: 1}\nconfig: {base: defconfig}\n', at: '3:57', message: 'unknown key "depth" in source.git (known: url, ref)' },
  { name: 'git without ref', yaml: 'name: k\nsource:\n  git:\n    url: https://example.org/linux.git\nconfig: {base: defconfig}\n', at: '4:5', message: 'missing key "ref" in source.git' },
  { name: 'patches on a prebuilt image', yaml: 'name: k\nsource: {debian-image: linux-image-6.12.117+deb12-amd64}\npatches: [patches/x]\n', at: '3:1', message: '"patches" needs a build, but a debian-image source is prebuilt' },
  { name: 'fragments of the wrong type', yaml: 'name: k\nextends: base\nconfig:\n  base: tinyconfig\n  fragments: config/bpf.config\n', at: '5:14', message: 'config.fragments: expected a list, got the string "config/bpf.config"' },
  { name: 'building recipe without config', yaml: 'name: k\nsource: {debian-source: linux-source-6.12}\n', at: '1:1', message: 'a recipe that builds needs config:' },
  { name: 'bad name', yaml: 'name: my kernel\nextends: base\n', at: '1:7', message: 'name: a kernel name is letters' },
  { name: 'git ref that is an option', yaml: 'name: k\nsource:\n  git: {url: https://example.org/linux.git, ref: "--upload-pack=touch /tmp/x"}\nconfig: {base: defconfig}\n', at: '3:50', message: 'source.git.ref: a git ref cannot start with "-" (on a command line it would be read as an option)' },
  { name: 'git url that is an option', yaml: 'name: k\nsource:\n  git:\n    url: -uhttps://example.org\n    ref: master\nconfig: {base: defconfig}\n', at: '4:10', message: 'source.git.url: a repository URL cannot start with "-"' },
  { name: 'debian-source package that is an option', yaml: 'name: k\nsource: {debian-source: -oAPT::Get::Foo=1}\nconfig: {base: tinyconfig}\n', at: '2:25', message: 'source.debian-source: a package name cannot start with "-"' },
  { name: 'debian-source version that is not one', yaml: 'name: k\nsource: {debian-source: "linux-source-6.12=latest; rm -rf /"}\nconfig: {base: tinyconfig}\n', at: '2:25', message: 'source.debian-source: "linux-source-6.12=latest; rm -rf /" is not PACKAGE or PACKAGE=VERSION' },
  { name: 'debian-image package that is an option', yaml: 'name: k\nsource:\n  debian-image: --help\n', at: '3:17', message: 'source.debian-image: a package name cannot start with "-"' },
  { name: 'lore Message-ID that is an option', yaml: 'name: k\nextends: base\npatches: [{lore: "<-m@x>"}]\n', at: '3:18', message: 'patches[0].lore: expected a Message-ID' },
];

t.test('bad recipes', async (t) => {
  for (const c of badRecipes) {
    t.test(c.name, async (t) => {
      const e = badInput(() => loadRecipeFile(put(c.yaml)));
      t.equal(`${e.line}:${e.col}`, c.at, 'position of the first problem');
      t.match(e.message, `:${c.at}: error: ${c.message}`);
      t.match(e.message, /\n {2}hint: \S/, 'a hint line');
    });
  }
});

t.test('good recipes', async (t) => {
  const base = put(
    'name: scx-6.12\nsource:\n  debian-source: linux-source-6.12\nconfig:\n  base: tinyconfig\n  fragments: [config/vm.config, config/bpf.config]\n',
  );
  t.strictSame(loadRecipeFile(base), {
    file: base,
    name: 'scx-6.12',
    source: { 'debian-source': 'linux-source-6.12' },
    config: { base: 'tinyconfig', fragments: ['config/vm.config', 'config/bpf.config'], drop: {} },
    patches: [],
    modules: [],
  });
  const child = put('name: scx-6.12-kfunc-filter\nextends: scx-6.12\npatches: [patches/scx-kfunc-filter]\n');
  t.strictSame(loadRecipeFile(child), { file: child, name: 'scx-6.12-kfunc-filter', extends: 'scx-6.12', patches: ['patches/scx-kfunc-filter'], modules: [] });
  const image = put('name: debian-6.12\nsource: {debian-image: linux-image-6.12.117+deb12-amd64}\n');
  t.strictSame(loadRecipeFile(image), { file: image, name: 'debian-6.12', source: { 'debian-image': 'linux-image-6.12.117+deb12-amd64' }, patches: [], modules: [] });
  const git = put('name: bpf-next\nsource:\n  git: {url: https://git.kernel.org/pub/scm/linux/kernel/git/bpf/bpf-next.git, ref: master}\nconfig: {base: defconfig}\n');
  t.equal(loadRecipeFile(git).source?.git?.ref, 'master');
  const json = z.toJSONSchema(recipeSchema, { target: 'draft-2020-12', io: 'input' }) as Record<string, any>;
  t.equal(json['title'], 'bpf-harness kernel recipe');
  t.equal(json['properties'].source.oneOf.length, 4);
});

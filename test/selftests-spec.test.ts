// The selftest tag reader on objects compiled here with clang-19 (test/fixtures/selftests/
// tags*.c), and test_loader.c's rules for what each program expects in each mode.
import t from 'tap';
import { execa } from 'execa';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixture } from './helpers/cli.js';
import { CLANG } from '../common/host-commands.js';
import { readObject } from '../harness/selftests/object.js';
import { CURRENT_RULES, parseSpec, POINTER_VALUE, runsProgram } from '../harness/selftests/spec.js';

const dir = mkdtempSync(join(tmpdir(), 'bpf-harness-tags-'));
async function compile(name: string): Promise<string> {
  const obj = join(dir, `${name}.o`);
  await execa(CLANG, ['-target', 'bpf', '-O2', '-g', '-c', fixture('selftests', `${name}.c`), '-o', obj]);
  return obj;
}

t.test('programs in libbpf order, subprograms left out, tags per program', async (t) => {
  const obj = await readObject(await compile('tags'));
  t.same(obj.programs.map((p) => p.name), ['two_msgs', 'xlated', 'helper_prog', 'jited', 'untagged']);
  t.same(obj.programs.map((p) => p.section), ['socket', 'socket', 'socket', 'socket', 'socket']);
  t.notOk('sub' in obj.tags);
  t.same(obj.tags['untagged'], undefined);
  t.equal(obj.tags['two_msgs']?.[0], 'comment:test_description=fails with two messages');

  const spec = (name: string) => parseSpec(name, obj.tags[name] ?? []);
  const two = spec('two_msgs');
  t.equal(two.description, 'fails with two messages');
  t.same(two.modes, ['priv', 'unpriv']);
  t.equal(two.priv.expectFailure, true);
  t.same(two.priv.msgs, ['R0 !read_ok', 'processed {{[0-9]+}} insns'], 'the counter is not part of the message');
  t.equal(two.unpriv.expectFailure, false, '__success_unpriv overrides');
  t.same(two.unpriv.msgs, two.priv.msgs, 'unpriv inherits the messages it does not give');
  t.equal(two.unpriv.retval, POINTER_VALUE);
  t.equal(two.priv.retval, undefined);
  t.notOk(runsProgram(two.priv), 'a program that must fail is not run');
  t.ok(runsProgram(two.unpriv));
  t.equal(two.logLevel, 2);
  t.same(two.flagOps, ['+2', '-4'], 'BPF_F_ANY_ALIGNMENT set, BPF_F_TEST_RND_HI32 cleared, in order');

  const x = spec('xlated');
  t.same(x.modes, ['priv']);
  t.equal(x.priv.retval, -2147483648, 'INT_MIN');
  t.same(x.priv.xlated, [
    { pattern: 'r0 = 1', onNextLine: true },
    { pattern: 'exit', onNextLine: false },
    { pattern: 'r1 = 2', onNextLine: true },
  ], '"..." lifts the next-line rule for the pattern after it');
  t.same(x.unpriv.xlated, x.priv.xlated);

  t.equal(spec('helper_prog').auxiliary, true);
  const j = spec('jited');
  t.same(j.arches, ['ARM64', 'X86_64']);
  t.same(j.priv.jited, [{ pattern: 'movl $1, %eax', onNextLine: true }], 'only the host arch\'s __jited lines are kept');
  const u = spec('untagged');
  t.same(u.modes, ['priv'], 'no tags: the privileged mode, expected to load');
  t.equal(u.priv.expectFailure, false);
});

t.test("6.1's uncounted spelling", async (t) => {
  const obj = await readObject(await compile('tags-6.1'));
  const tags = obj.tags['old_style'] ?? [];
  const v61 = { counted: false, allMsgs: false, testingFlags: false };
  t.same(parseSpec('old_style', tags, v61).priv.msgs, ['second'], "6.1's test_loader keeps the last __msg only");
  t.same(parseSpec('old_style', tags, { ...v61, allMsgs: true }).priv.msgs, ['a=b in it', 'second'], 'uncounted: the text after the first = is the message');
  t.same(parseSpec('old_style', tags, CURRENT_RULES).priv.msgs, ['b in it'], 'read as counted, the text is cut (why the tree decides)');
});

t.test('unreadable tags are problems, not crashes', async (t) => {
  const s = parseSpec('p', ['comment:test_retval=banana', 'comment:test_jited=0=x', 'comment:test_arch=MIPS', 'comment:test_prog_flags=NOPE']);
  t.equal(s.problems.length, 4);
  t.match(s.problems.join('\n'), /__retval.*banana[\s\S]*__jited used before __arch_[\s\S]*MIPS[\s\S]*__flag/);
});

// Every subcommand checks its flags the same way, through the real CLI: a numeric flag
// that is not a whole number (or under its minimum), or a choice outside its list, is
// exit 2 naming the flag and the value, before anything is built or booted.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { COMPARE_REPORTERS } from '../harness/cli/commands/compare.js';
import { FLAG_MAX } from '../harness/cli/flags.js';
import { REPORTERS } from '../harness/reporters/reporter.js';
import { ACCEL_CHOICES } from '../vm/qemu/accel.js';
import { allBackends } from '../vm/backends/index.js';
import { cli } from './helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'cli-flags-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const cache = join(dir, 'cache');
const out = join(dir, 'out');

// Each subcommand with what it needs besides the flag under test (a run would boot).
const COMMANDS: Record<string, string[]> = {
  run: ['run', 'scenarios/basics', '--out', out],
  compare: ['compare', '--base', 'debian-6.12', '--patched', 'debian-6.1', '--out', out, 'scenarios/basics'],
  reproduce: ['reproduce', join(dir, 'series.mbox'), 'scenarios/basics', '--out', out],
  'vm up': ['vm', 'up'],
  'report merge': ['report', 'merge', join(dir, 'results.json')],
};

/** The upper limit of one of the QEMU backend's numeric flags. */
function qemuMax(name: string): number {
  const f = allBackends().find((b) => b.name === 'qemu')!.flags.find((x) => x.name === name)!;
  return f.kind === 'int' ? f.max : NaN;
}

/** Each numeric flag of each subcommand, the range it takes (whole numbers), or a percentage. */
const NUMERIC: [string, string, number, number | 'percent'][] = [
  ['run', '--jobs', 1, FLAG_MAX.jobs],
  ['run', '--memory', 64, qemuMax('memory')],
  ['run', '--cpus', 1, qemuMax('cpus')],
  ['run', '--kernel-jobs', 1, FLAG_MAX.kernelJobs],
  ['compare', '--jobs', 1, FLAG_MAX.jobs],
  ['compare', '--kernel-jobs', 1, FLAG_MAX.kernelJobs],
  ['compare', '--threshold', 0, 'percent'],
  ['reproduce', '--kernel-jobs', 1, FLAG_MAX.kernelJobs],
  ['reproduce', '--threshold', 0, 'percent'],
  ['vm up', '--memory', 64, qemuMax('memory')],
  ['run', '--retries', 0, FLAG_MAX.retries],
  ['compare', '--retries', 0, FLAG_MAX.retries],
  ['reproduce', '--retries', 0, FLAG_MAX.retries],
];

const CHOICES: [string, string, readonly string[]][] = [
  ['run', '--accel', ACCEL_CHOICES],
  ['compare', '--reporter', COMPARE_REPORTERS],
  ['compare', '--accel', ACCEL_CHOICES],
  ['reproduce', '--reporter', COMPARE_REPORTERS],
  ['reproduce', '--accel', ACCEL_CHOICES],
  ['vm up', '--accel', ACCEL_CHOICES],
];

// A subtest's t (the last overload of t.test takes just the callback).
type T = Parameters<Parameters<typeof t.test>[0]>[0];

async function refused(t: T, command: string, flag: string, value: string, why: RegExp): Promise<void> {
  const r = await cli([...COMMANDS[command]!, flag, value], { BPF_HARNESS_CACHE: cache });
  const what = `${command} ${flag} ${value}`;
  t.equal(r.exitCode, 2, `${what}: exit 2`, { stderr: r.stderr });
  t.match(r.stderr, new RegExp(`^error: option '(-\\w, )?${flag} <[^>]+>' argument '${value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}' is invalid\\. `), `${what}: names the flag and the value`);
  t.match(r.stderr, why, `${what}: says what it takes`);
  t.equal(r.stdout, '', `${what}: nothing on stdout`);
}

t.test('numeric flags refuse what is not a whole number, or out of their range', async (t) => {
  for (const [command, flag, min, max] of NUMERIC) {
    const int = max !== 'percent';
    const why = int ? new RegExp(`expected a whole number from ${min} to ${max}`) : /expected a percentage, e.g. 5 or 2\.5/;
    const bad = int ? ['abc', String(min - 1), String(max + 1), '1.5', '1e3', '-2', ''] : ['abc', '-1', '5%', ''];
    for (const value of bad) await refused(t, command, flag, value, why);
  }
  t.notOk(existsSync(cache), 'no cache made');
  t.notOk(existsSync(out), 'no out/ made');
});

t.test('choice flags refuse what is not in their list, and --help lists that same list', async (t) => {
  for (const [command, flag, choices] of CHOICES) {
    await refused(t, command, flag, 'nope', new RegExp(`Allowed choices are ${choices.join(', ')}\\.`));
    const help = helpOptions((await cli([...command.split(' '), '--help'])).stdout).find((o) => o.includes(`${flag} <`));
    t.match(help, `(choices: ${choices.map((c) => `"${c}"`).join(', ')}`, `${command} --help lists the ${flag} choices`);
  }
  t.notOk(existsSync(cache), 'no cache made');
});

t.test('--reporter takes NAME or NAME=FILE, NAME one of the reporters', async (t) => {
  for (const command of ['run', 'report merge']) {
    await refused(t, command, '--reporter', 'nope', new RegExp(`expected one of ${REPORTERS.join(', ')}, optionally =FILE`));
    await refused(t, command, '--reporter', 'junit=', /junit= needs a file name after the =/);
  }
  const two = await cli([...COMMANDS.run!, '--reporter', 'spec', '--reporter', 'tap'], { BPF_HARNESS_CACHE: cache });
  t.equal(two.exitCode, 2);
  t.match(two.stderr, /--reporter: spec and tap would both write to stdout\nhint: give all but one a file: --reporter tap=FILE/);
  t.notOk(existsSync(cache), 'no cache made');
  t.notOk(existsSync(out), 'no out/ made');
});

t.test('--shard takes I/N with 1 <= I <= N', async (t) => {
  for (const value of ['abc', '3/2', '0/2', '1/0', '2', '1/2/3']) await refused(t, 'run', '--shard', value, /expected I\/N with 1 <= I <= N, e\.g\. --shard 2\/4/);
});

const SUBCOMMANDS = ['run', 'compare', 'list', 'validate', 'bisect', 'reproduce', 'report merge', 'kernel list', 'kernel build', 'kernel gc', 'vm up', 'vm ssh', 'vm down', 'doctor'];

/** --help's options, one entry each (commander wraps long descriptions onto indented lines). */
function helpOptions(help: string): string[] {
  const entries: string[] = [];
  for (const line of help.split('\n')) {
    if (/^ {2}-/.test(line)) entries.push(line.trim());
    else if (/^ {4,}\S/.test(line) && entries.length) entries[entries.length - 1] += ` ${line.trim()}`;
  }
  return entries;
}

t.test('every option with a numeric default is one of the numeric flags above', async (t) => {
  for (const command of SUBCOMMANDS) {
    const help = await cli([...command.split(' '), '--help']);
    t.equal(help.exitCode, 0, `${command} --help`);
    // commander prints a string default quoted, a number bare.
    const numeric = helpOptions(help.stdout).filter((o) => /\(default: \d/.test(o)).map((o) => /--[\w-]+/.exec(o)![0]);
    const listed = NUMERIC.filter(([c]) => c === command).map(([, f]) => f);
    t.same(numeric.sort(), listed.sort(), `${command}: ${numeric.join(', ') || 'no numeric flags'}`);
  }
});

// test_progs (and its flavours) on a target, test by test, surviving the tests that take
// the kernel down. The runner runs its tests one after another in number order, so the
// test that was running when the kernel crashed, or that has printed no verdict for
// test_timeout seconds, is the first chosen test without a verdict: it is recorded as a
// failure with the console's tail, the guest is replaced, and the tests after it run
// there. A kernel warning the crash policy names, printed while a test ran, fails that
// test. Each failed test then runs once more, alone, on a fresh guest: a failure that
// does not repeat is a pass marked flaky (kernels are racy under TCG).
import { findCrash, type Crash } from '../../vm/crash/scan.js';
import type { Target } from '../../vm/target.js';
import { shellQuote, SshLostError, SshTimeoutError } from '../../vm/transport/ssh.js';
import { progress } from '../../common/progress.js';
import type { RunnerTest } from '../results/model.js';
import type { BuiltRunner } from './build.js';
import { entryMatches, type RunnerSelection } from './select.js';
import { cutLog, parseTestProgs, readTestList, testVerdict } from './test-progs.js';
import { pushRunner, type RunnerEnv, type RunnerRun } from './run.js';

/** The test-only hook of the crash test: the kernel panics (sysrq c) as this test reports, before the harness sees its verdict. */
export const PANIC_HOOK_ENV = 'BPF_HARNESS_TEST_PANIC_IN';

/** How often a long run says how far it got. */
const PROGRESS_MS = 15_000;

interface Round {
  tests: RunnerTest[];
  output: string;
  /** The test that took the guest down or hung, recorded; undefined when the runner reached its summary. */
  broke?: { number: number; why: string };
}

/** "1,3,5-9": test_progs' -n syntax for these numbers. */
export function numberList(ns: number[]): string {
  const sorted = [...new Set(ns)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/**
 * Which tests run and which are reported denied without running: a test every allow entry
 * leaves out is not chosen; one a deny entry names whole is skipped with the entry's
 * reason. The runner is told which tests to run by name (-a), each with the subtests the
 * scenario allows of it, and the denied subtests (-d), which it leaves out itself. (Not
 * by number: 6.12's test_progs runs a test that -a names or -n numbers, either.)
 */
export function chooseTests(names: string[], sel: RunnerSelection, runner: string): { numbers: number[]; denied: RunnerTest[]; args: (todo: number[]) => string[] } {
  const numbers: number[] = [];
  const denied: RunnerTest[] = [];
  names.forEach((test, i) => {
    const n = i + 1;
    if (sel.allow.length && !sel.allow.some((a) => entryMatches(a.split('/')[0]!, { test }))) return;
    const whole = sel.deny.find((d) => !d.pattern.includes('/') && entryMatches(d.pattern, { test }));
    if (whole) denied.push({ runner, test, number: `#${n}`, outcome: 'skip', reason: `denied (${whole.reason})` });
    else numbers.push(n);
    // A subtest denied: the runner never prints it, so it is reported from the entry.
    for (const d of sel.deny.filter((e) => e.pattern.includes('/') && entryMatches(e.pattern.split('/')[0]!, { test }))) {
      if (!whole) denied.push({ runner, test, subtest: d.pattern.slice(d.pattern.indexOf('/') + 1), number: `#${n}/-`, outcome: 'skip', reason: `denied (${d.reason})` });
    }
  });
  const args = (todo: number[]) => {
    const allow = todo.flatMap((n) => {
      const test = names[n - 1]!;
      if (!sel.allow.length) return [test];
      // The scenario's entries for this test, its glob replaced by the name: "verif*" -> "verifier_and", "bpf_cookie/kp*" kept whole.
      return sel.allow.filter((a) => entryMatches(a.split('/')[0]!, { test })).map((a) => (a.includes('/') ? `${test}${a.slice(a.indexOf('/'))}` : test));
    });
    const deny = sel.deny.filter((d) => d.pattern.includes('/')).map((d) => d.pattern);
    return [...[...new Set(allow)].flatMap((a) => ['-a', a]), ...deny.flatMap((d) => ['-d', d])];
  };
  return { numbers, denied, args };
}

export async function runTestProgs(env: RunnerEnv, built: BuiltRunner, selection: RunnerSelection, timeoutS: number): Promise<RunnerRun> {
  const names = readTestList(built.testList!);
  const { numbers, denied, args } = chooseTests(names, selection, built.name);
  const outputs: string[] = [];
  const results = new Map<number, RunnerTest[]>();
  let target = env.target;
  /** Why the current target is down (the last test run on it broke it), until it is replaced. */
  let down: string | undefined;

  /** Runs these tests on the current target until they are all judged, replacing the target after each one that broke it. */
  const judge = async (todo: number[], label: string): Promise<void> => {
    let pushed = false;
    for (let left = todo; left.length;) {
      if (!pushed) await pushRunner(target, built, env.workDir);
      pushed = true;
      const round = await runRound(target, built, names, left, args, env, timeoutS);
      outputs.push(`### ${label}: tests ${numberList(left)} on ${target.describe}\n${round.output}`);
      for (const t of round.tests) {
        const n = testNumber(t);
        results.set(n, [...(results.get(n) ?? []), t]);
      }
      if (!round.broke) return;
      down = `${built.name} #${round.broke.number} ${round.broke.why}`;
      const at = left.indexOf(round.broke.number);
      left = left.slice(at + 1);
      if (!left.length) return;
      if (!env.replaceTarget) {
        for (const n of left) results.set(n, [{ runner: built.name, test: names[n - 1]!, number: `#${n}`, outcome: 'fail', reason: `not run: ${round.broke.why}, and ${target.describe} cannot be replaced` }]);
        return;
      }
      progress(`${built.name}: #${round.broke.number} ${names[round.broke.number - 1]} ${round.broke.why}; the ${left.length} test(s) after it go on in a fresh guest`);
      target = await env.replaceTarget(down);
      down = undefined;
      pushed = false;
    }
  };

  await judge(numbers, 'run');
  // Each failure once more, alone and on a fresh guest, before it is believed.
  const failed = [...results.entries()].filter(([, ts]) => ts.some((t) => t.outcome === 'fail')).map(([n]) => n);
  if (failed.length && env.replaceTarget) {
    const first = new Map(failed.map((n) => [n, results.get(n)!]));
    for (const n of failed) results.delete(n);
    target = await env.replaceTarget(`running the ${failed.length} failed test(s) of ${built.name} again`);
    down = undefined;
    await judge(failed, 'again');
    for (const n of failed) {
      const before = first.get(n)!;
      const again = results.get(n) ?? [];
      const reason = before.find((t) => t.outcome === 'fail')?.reason ?? 'failed';
      const passedNow = again.length > 0 && again.every((t) => t.outcome !== 'fail');
      // A failure that repeats keeps the first try's log; one that does not is flaky.
      results.set(n, passedNow
        ? again.map((t) => (t.subtest ? t : { ...t, reason: `flaky: failed on the first try (${reason}), passed on the second` }))
        : before.map((t) => (t.outcome === 'fail' ? { ...t, reason: `${t.reason} (again on a fresh guest)` } : t)));
    }
  }
  const tests = [...denied, ...[...results.entries()].sort(([a], [b]) => a - b).flatMap(([, ts]) => ts)];
  return { tests, output: outputs.join('\n'), exit: tests.some((t) => t.outcome === 'fail') ? 1 : 0, target, ...(down ? { down } : {}) };
}

/** One run of the runner over these tests, streamed, stopped where a test hangs. */
async function runRound(target: Target, built: BuiltRunner, names: string[], todo: number[], args: (todo: number[]) => string[], env: RunnerEnv, timeoutS: number): Promise<Round> {
  const dir = shellQuote(env.workDir);
  let text = '';
  let seen = 0;
  const order = [...todo];
  /** The test now running: the first chosen one without its verdict. */
  let running = 0;
  let mark = target.kernelLogs.dmesg.mark();
  /** Tests during which the kernel warned (the crash policy's findings in the kernel log). */
  const warned = new Map<number, Crash>();
  const stop = new AbortController();
  let said = Date.now();
  let hung: ReturnType<typeof setTimeout> | undefined;
  const arm = () => {
    clearTimeout(hung);
    hung = setTimeout(() => stop.abort(`no verdict from #${order[running]} in ${timeoutS} s`), timeoutS * 1000);
  };
  /** Where the lines not read yet start, and what was read of them: each line once (the whole output of a long run is megabytes). */
  let readTo = 0;
  const finished = new Set<number>();
  let failed = 0;
  let repeats = false;
  const onStdout = (chunk: string) => {
    text += chunk;
    const end = text.lastIndexOf('\n') + 1;
    if (end <= readTo) return;
    const lines = text.slice(readTo, end).split('\n');
    readTo = end;
    for (const line of lines) {
      // After the last test the runner repeats the failures' logs and verdicts.
      if (line === 'All error logs:') repeats = true;
      const v = repeats ? undefined : testVerdict(line);
      if (!v) continue;
      finished.add(v.number);
      if (v.outcome === 'fail') failed++;
    }
    if (finished.size === seen) return;
    seen = finished.size;
    const before = order[running];
    while (running < order.length && finished.has(order[running]!)) running++;
    const crash = findCrash(target.kernelLogs.dmesg.since(mark), env.crashPolicy, 'dmesg');
    if (crash && before !== undefined) warned.set(before, crash);
    mark = target.kernelLogs.dmesg.mark();
    arm();
    if (Date.now() - said >= PROGRESS_MS && running < order.length) {
      said = Date.now();
      progress(`${built.name} on ${target.describe}: ${running} of ${order.length} tests judged${failed ? ` (${failed} failed)` : ''}, now #${order[running]} ${names[order[running]! - 1]}`);
    }
  };
  const panicIn = process.env[PANIC_HOOK_ENV];
  const hook = panicIn && /^[A-Za-z0-9_]+$/.test(panicIn)
    ? ` | awk -v t=${panicIn} '$0 ~ ("^#[0-9]+ +" t ":") { system("echo 1 > /proc/sys/kernel/sysrq; echo c > /proc/sysrq-trigger") } { print; fflush() }'`
    : '';
  const cmd = `cd ${dir}/run && { ./${built.target} ${args(todo).map(shellQuote).join(' ')} 2>&1${hook}; }`;
  arm();
  let lost: Error | undefined;
  try {
    await target.exec(cmd, { onStdout, signal: stop.signal, timeoutMs: 24 * 3600_000 });
  } catch (e) {
    if (!(e instanceof SshLostError || e instanceof SshTimeoutError)) throw e;
    lost = e;
  } finally {
    clearTimeout(hung);
  }
  const parsed = parseTestProgs(text, built.name);
  const tests = parsed.tests.map((t) => {
    const w = warned.get(testNumber(t));
    return w && !t.subtest ? { ...t, outcome: 'fail' as const, reason: `the kernel warned while it ran: ${w.title}`, log: w.excerpt } : t;
  });
  if (parsed.summary && !lost) return { tests, output: text };
  // The runner stopped short: the first chosen test without a verdict is the one it stopped in.
  const n = todo.find((x) => !parsed.finished.has(x));
  if (n === undefined) return { tests, output: text };
  if (lost instanceof SshLostError) await target.settle();
  const consoleLines = target.consoleTail(60).split('\n');
  const crash = findCrash(consoleLines, env.crashPolicy, 'console') ?? findCrash(target.kernelLogs.dmesg.since(mark), env.crashPolicy, 'dmesg');
  const why = crash ? `crashed the kernel (${crash.title})` : stop.signal.aborted ? `hung (${String(stop.signal.reason)})` : lost ? `lost the guest (${lost.message.split('\n')[0]})` : 'stopped the runner before its verdict';
  // What it printed after the last verdict: its own log so far.
  const lines = text.split('\n');
  const lastVerdict = lines.map((l) => /^#\d+[\s/]/.test(l)).lastIndexOf(true);
  tests.push({
    runner: built.name, test: names[n - 1]!, number: `#${n}`, outcome: 'fail', reason: why,
    log: cutLog([...lines.slice(lastVerdict + 1), '--- console tail ---', ...consoleLines]) ?? '',
  });
  return { tests, output: text, broke: { number: n, why } };
}

const testNumber = (t: RunnerTest) => Number(/^#(\d+)/.exec(t.number)![1]);

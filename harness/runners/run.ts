// A runner scenario on a target: the runner built for the kernel is sent to the
// scenario's folder in the guest (with the objects and helpers test_progs opens beside
// it), the kernel's own test modules linked in where the runner loads them (./*.ko), run
// there as root, and read test by test. Tests the scenario selects are kept; those its
// deny list (or the tree's) names are skipped with the list's reason.
import { readFileSync } from 'node:fs';
import { shellQuote } from '../../vm/transport/ssh.js';
import type { CrashPolicy } from '../../vm/crash/policy.js';
import type { Target } from '../../vm/target.js';
import type { RunnerTest } from '../results/model.js';
import type { BuiltRunner } from './build.js';
import type { RunnerName } from '../scenario/types.js';
import { parseTestVerifier } from './test-verifier.js';
import { selects, type RunnerSelection } from './select.js';
import { runTestProgs } from './test-progs-run.js';

/** The runners whose output is read test by test; the others are skipped, saying so. */
export const READ_RUNNERS: readonly RunnerName[] = ['test_verifier', 'test_progs', 'test_progs-no_alu32', 'test_progs-cpuv4'];

/** The runners that run their failed tests again themselves (alone, on a fresh guest), rather than the whole scenario again. */
export const RETRIES_ITS_TESTS = (r: RunnerName) => r.startsWith('test_progs');

export interface RunnerEnv {
  target: Target;
  /** Closes the current target and gives a fresh one (after a crash or a hang, or for a retry); absent where none can be had. */
  replaceTarget?: (why: string) => Promise<Target>;
  crashPolicy: CrashPolicy;
  /** The scenario's folder on the target. */
  workDir: string;
}

export interface RunnerRun {
  tests: RunnerTest[];
  /** What the runner printed, for the scenario's artifacts. */
  output: string;
  exit: number;
  /** The target the run ended on (another than it began on when one was replaced). */
  target: Target;
  /** That target is down (its last test crashed or hung it): why. Nothing more runs there. */
  down?: string;
}

/** Long enough for test_verifier's ~1,500 runs under TCG on a loaded host. */
const RUN_TIMEOUT_MS = 30 * 60_000;

/** The modules of the kernel's tree the runners load from their folder (bpf_testmod for all; test_progs the others). */
const TEST_MODULES = ['bpf_testmod', 'bpf_test_no_cfi', 'bpf_test_modorder_x', 'bpf_test_modorder_y'];

/** The runner unpacked into WORKDIR/run, the kernel's test modules linked where it looks for them. */
export async function pushRunner(target: Target, built: BuiltRunner, workDir: string): Promise<void> {
  const run = shellQuote(`${workDir}/run`);
  const objDir = built.target.startsWith('test_progs-') ? `${workDir}/run/${built.target.slice('test_progs-'.length)}` : `${workDir}/run`;
  // A QEMU guest keeps its boot modules in /lib/modules itself, a host under /lib/modules/RELEASE.
  const links = TEST_MODULES.map((m) => `m=$(find /lib/modules -name ${m}.ko 2>/dev/null | head -n1); [ -z "$m" ] || ln -sf "$m" ${m}.ko`).join('; ');
  const r = await target.exec(`rm -rf ${run} && mkdir -p ${run} && tar -x -C ${run} && cd ${shellQuote(objDir)} && { ${links}; }`, { input: readFileSync(`${built.dir}/payload.tar`), timeoutMs: 300_000 });
  if (r.exit !== 0) throw new Error(`sending ${built.dir}/payload.tar to ${target.describe}: ${r.stderr.trim()}`);
}

export async function runRunner(env: RunnerEnv, built: BuiltRunner, selection: RunnerSelection, testTimeoutS: number, configGaps: string[] = []): Promise<RunnerRun> {
  const unbuildable: RunnerTest[] = built.unbuildable.flatMap((u) => {
    const t = selects(selection, { runner: built.name, test: u.test, number: '-', outcome: 'fail', reason: `does not compile in this tree (left out of the build): ${u.error}` });
    return t ? [t] : [];
  });
  if (built.name.startsWith('test_progs')) {
    const run = await runTestProgs(env, built, selection, testTimeoutS);
    // The runner says why it skipped only with -v: where the kernel lacks some of what the tree's config asks for, the skip says so.
    const gaps = configGaps.length ? `; the kernel lacks ${configGaps.length} option(s) the tree's config asks for: ${configGaps.slice(0, 8).join(', ')}${configGaps.length > 8 ? ', ...' : ''}` : '';
    const tests = run.tests.map((t) => (gaps && t.outcome === 'skip' && !t.reason?.startsWith('denied') ? { ...t, reason: `${t.reason}${gaps}` } : t));
    return { ...run, tests: [...unbuildable, ...tests] };
  }
  const { target } = env;
  await pushRunner(target, built, env.workDir);
  const r = await target.exec(`cd ${shellQuote(`${env.workDir}/run`)} && ./${built.target} 2>&1`, { timeoutMs: RUN_TIMEOUT_MS });
  const parsed = parseTestVerifier(r.stdout);
  const tests = parsed.tests.map((t) => selects(selection, t)).filter((t): t is RunnerTest => !!t);
  // A runner that stopped before its summary (it could not start, or died) is a failure of its own, with its last words.
  if (!parsed.summary) {
    const last = r.stdout.trim().split('\n').slice(-3).join(' / ') || 'no output';
    tests.push({ runner: built.name, test: '(runner)', number: '-', outcome: 'fail', reason: `${built.name} exited ${r.exit} before its summary: ${last}`, log: r.stdout.slice(-8000) });
  }
  return { tests, output: r.stdout, exit: r.exit, target };
}

// A runner scenario on a target: the runner built for the kernel is sent to the
// scenario's folder in the guest, with the tree's bpf_testmod.ko beside it (the runner
// loads ./bpf_testmod.ko itself), run there as root, and read test by test. Tests the
// scenario selects are kept; those its deny list (or the tree's) names are skipped with
// the list's reason, whatever the runner said of them.
import { readFileSync } from 'node:fs';
import { shellQuote } from '../../vm/transport/ssh.js';
import type { Target } from '../../vm/target.js';
import type { RunnerTest } from '../results/model.js';
import type { BuiltRunner } from './build.js';
import type { RunnerName } from '../scenario/types.js';
import { parseTestVerifier } from './test-verifier.js';
import { selects, type RunnerSelection } from './select.js';

/** The runners whose output is read test by test (run.ts parses test_verifier's); the others are skipped, saying so. */
export const READ_RUNNERS: readonly RunnerName[] = ['test_verifier'];

export interface RunnerRun {
  tests: RunnerTest[];
  /** What the runner printed, for the scenario's artifacts. */
  output: string;
  exit: number;
}

/** Long enough for test_verifier's ~1,500 runs under TCG on a loaded host. */
const RUN_TIMEOUT_MS = 30 * 60_000;

export async function runRunner(target: Target, built: BuiltRunner, selection: RunnerSelection, workDir: string): Promise<RunnerRun> {
  const dir = shellQuote(workDir);
  const bin = `${workDir}/runner`;
  const put = await target.exec(`mkdir -p ${dir} && cat > ${shellQuote(bin)} && chmod 755 ${shellQuote(bin)}`, { input: readFileSync(built.binary), timeoutMs: 120_000 });
  if (put.exit !== 0) throw new Error(`sending ${built.binary}: ${put.stderr.trim()}`);
  // The kernel's own bpf_testmod.ko, where its image holds it (a recipe's modules:), beside the runner.
  // (A QEMU guest keeps its boot modules in /lib/modules itself, a host under /lib/modules/RELEASE.)
  const mod = 'm=$(find /lib/modules -name bpf_testmod.ko 2>/dev/null | head -n1); [ -n "$m" ] && ln -sf "$m" bpf_testmod.ko';
  const r = await target.exec(`cd ${dir} && { ${mod}; ./runner 2>&1; }`, { timeoutMs: RUN_TIMEOUT_MS });
  const parsed = parseTestVerifier(r.stdout);
  const tests = parsed.tests.map((t) => selects(selection, t)).filter((t): t is RunnerTest => !!t);
  // A runner that stopped before its summary (it could not start, or died) is a failure of its own, with its last words.
  if (!parsed.summary) {
    const last = r.stdout.trim().split('\n').slice(-3).join(' / ') || 'no output';
    tests.push({ runner: built.name, test: '(runner)', number: '-', outcome: 'fail', reason: `${built.name} exited ${r.exit} before its summary: ${last}`, log: r.stdout.slice(-8000) });
  }
  return { tests, output: r.stdout, exit: r.exit };
}

// Exit codes (README "Command line"): 0 all passed (skips allowed), 1 a scenario failed,
// 2 bad input, 3 infrastructure (no boot, SSH lost).
import { exitCodeFor, type StopSignal } from '../../common/interrupt.js';
import type { RunResult } from '../results/model.js';

export const EXIT = { ok: 0, failed: 1, badInput: 2, infra: 3 } as const;

export function exitCodeOf(run: RunResult): number {
  // 128 + the signal's number, as a shell reports a command a signal ended.
  if (run.interrupted) return exitCodeFor(run.interrupted as StopSignal);
  if (run.scenarios.some((s) => s.outcome === 'error')) return EXIT.infra;
  if (run.scenarios.some((s) => s.outcome === 'fail')) return EXIT.failed;
  return EXIT.ok;
}

// The result of a planned scenario that ran no step: skipped (it does not apply), failed
// to boot, broke on the machine's side, or was not reached before an interrupt.
import type { PlanEntry } from '../plan.js';
import type { ScenarioResult } from '../results/model.js';

export function unrunResult(e: PlanEntry, kernel: string, r: Pick<ScenarioResult, 'outcome' | 'reason'> & Partial<ScenarioResult>): ScenarioResult {
  return { file: e.relFile, name: e.scenario.name, kernel, durationMs: 0, steps: [], ...r };
}

import type { RunResult, ScenarioResult } from '../results/model.js';
import type { Reporter } from './reporter.js';

/** The RunResult as written by `report merge` and read back by it. */
export class JsonReporter implements Reporter {
  scenarioFinished(_r: ScenarioResult): void {}
  runFinished(run: RunResult): string {
    return JSON.stringify(run, null, 2) + '\n';
  }
}

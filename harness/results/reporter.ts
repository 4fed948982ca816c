// What a run tells whoever reports it, as it goes: the runner calls these; the reporters
// (harness/reporters/) implement them. Here, below both, so the runner and compare need
// no reporter to name the interface.
import type { RunResult, ScenarioResult } from './model.js';

export interface ScenarioRef {
  file: string;
  name: string;
  kernel: string;
}

export interface Reporter {
  scenarioStarted?(s: ScenarioRef): void;
  scenarioFinished(r: ScenarioResult): void;
  /** The final text to write: spec's summary, tap's plan, the whole junit/json document. */
  runFinished(run: RunResult): string;
}

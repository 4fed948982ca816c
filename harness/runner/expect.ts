// A step's expectation on one kernel: the step's own, with expect_by_kernel's keys on top.
import type { Expect, Scenario, Step } from '../scenario/types.js';

export function effectiveExpect(scenario: Scenario, step: Step, kernel: string): Expect {
  const override = scenario.expect_by_kernel[kernel]?.[step.id];
  if (!override) return step.expect;
  const merged = { ...step.expect, ...override };
  // loaded and errno are one verdict: an override naming either replaces both.
  if (override.errno !== undefined && override.loaded === undefined) delete merged.loaded;
  if (override.loaded !== undefined && override.errno === undefined) delete merged.errno;
  return merged;
}

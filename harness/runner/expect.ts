// A step's expectation on one kernel: the step's own, with expect_by_kernel's keys on top.
import type { Expect, Scenario, Step } from '../scenario/types.js';

export function effectiveExpect(scenario: Scenario, step: Step, kernel: string): Expect {
  const override = scenario.expect_by_kernel[kernel]?.[step.id];
  if (!override) return step.expect;
  const merged = { ...step.expect, ...override };
  // An override that names an errno means "this load fails here", whatever the step said.
  if (override.errno !== undefined && override.loaded === undefined) delete merged.loaded;
  return merged;
}

// A scenario file -> Scenario, through the YAML loader with positions (common/yaml-file.ts).
import path from 'node:path';
import { dotted, loadYamlFile, type Path } from '../../common/yaml-file.js';
import { FORMAT_HINTS, scenarioSchema } from './schema.js';
import type { Scenario } from './types.js';

/**
 * Load and validate a scenario file (README "Scenario files"). With knownKernels, a
 * name in kernels: outside it is an error at its position.
 */
export function loadScenario(file: string, opts: { knownKernels?: string[] } = {}): Scenario {
  const abs = path.resolve(file);
  return loadYamlFile(abs, (locate) => scenarioSchema({ file: abs, locate, knownKernels: opts.knownKernels }), {
    schemaRef: 'scenarios/schema.json',
    hints: FORMAT_HINTS,
    subject: scenarioSubject,
  });
}

// Steps are named by id (given or step-N), as the runner's reports name them.
function scenarioSubject(p: Path, data: unknown): string {
  if (p[0] !== 'steps' || typeof p[1] !== 'number') return dotted(p);
  const steps = (data as { steps?: unknown } | null)?.steps;
  const step: unknown = Array.isArray(steps) ? steps[p[1]] : undefined;
  const id = (step as { id?: unknown } | undefined)?.id;
  const rest = p.slice(2);
  return `step "${typeof id === 'string' ? id : `step-${p[1] + 1}`}"${rest.length ? ` ${dotted(rest)}` : ''}`;
}

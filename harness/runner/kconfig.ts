// `requires: {kconfig: [...]}` checked against the kernel's .config.
import { readFileSync } from 'node:fs';
import { parseConfig } from '../../kernels/build/fragments.js';

export function readKconfig(path: string): Map<string, string> {
  return parseConfig(readFileSync(path, 'utf8'));
}

/** The first unmet requirement, as a skip reason; "CONFIG_X" alone means y or m. */
export function unmetKconfig(required: string[], config: Map<string, string>): string | undefined {
  for (const req of required) {
    const eq = req.indexOf('=');
    const name = eq < 0 ? req : req.slice(0, eq);
    const want = eq < 0 ? undefined : req.slice(eq + 1);
    const have = config.get(name);
    if (want === undefined ? have !== 'y' && have !== 'm' : have !== want) {
      return `needs ${req}, kernel has ${have === undefined ? `${name} unset` : `${name}=${have}`}`;
    }
  }
  return undefined;
}

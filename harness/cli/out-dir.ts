// Where a command keeps its artifacts when --out is not given: out/KIND-YYYYMMDD-HHMMSS.
import { join, resolve } from 'node:path';

export function outDirFor(kind: 'run' | 'compare' | 'bisect', given?: string): string {
  if (given) return resolve(given);
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
  return resolve(join('out', `${kind}-${stamp}`));
}

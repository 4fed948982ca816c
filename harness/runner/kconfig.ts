// `requires: {kconfig: [...]}` checked against the kernel's .config.
import { readFileSync } from 'node:fs';

export function readKconfig(path: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const kv = /^(CONFIG_[A-Za-z0-9_]+)=(.*)$/.exec(line);
    if (kv) m.set(kv[1]!, kv[2]!);
  }
  return m;
}

/** The first unmet requirement, as a skip reason; "CONFIG_X" alone means y or m. */
export function unmetKconfig(required: string[], config: Map<string, string>): string | undefined {
  for (const req of required) {
    const [name, want] = req.split('=', 2) as [string, string | undefined];
    const have = config.get(name);
    if (want === undefined ? have !== 'y' && have !== 'm' : have !== want) {
      return `needs ${req}, kernel has ${have === undefined ? `${name} unset` : `${name}=${have}`}`;
    }
  }
  return undefined;
}

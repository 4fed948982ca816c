// The guest's small C helpers (vm/helpers/guest/NAME/bpf-harness-NAME.c) are shipped as source and
// compiled on the host with the system C compiler, once per source and compiler version.
import { execa } from 'execa';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { InfraError } from '../../common/errors.js';
import { cacheDir, repoRoot } from '../../common/paths.js';

const HELPERS = {
  token: 'the BPF token helper',
  resume: 'the snapshot resume helper',
} as const;

export type GuestHelper = keyof typeof HELPERS;

export const helperSource = (name: GuestHelper) => join(repoRoot, 'vm', 'helpers', 'guest', name, `bpf-harness-${name}.c`);

/** Where a helper runs in guests. */
export const guestHelperPath = (name: GuestHelper) => `/bin/bpf-harness-${name}`;

export async function guestHelper(name: GuestHelper): Promise<string> {
  const what = HELPERS[name];
  const source = helperSource(name);
  const cc = process.env.CC || 'gcc';
  const version = await execa(cc, ['--version'], { reject: false });
  if (version.exitCode !== 0) throw new InfraError(`${cc} is not installed; it builds ${what} (apt-get install build-essential)`);
  const key = createHash('sha256').update(readFileSync(source)).update(version.stdout).digest('hex').slice(0, 16);
  const out = cacheDir('tools', `bpf-harness-${name}-${key}`);
  if (existsSync(out)) return out;
  mkdirSync(cacheDir('tools'), { recursive: true });
  const tmp = `${out}.${process.pid}`;
  const r = await execa(cc, ['-O2', '-Wall', '-Wextra', '-o', tmp, source], { reject: false, all: true });
  if (r.exitCode !== 0) throw new InfraError(`building ${what} failed:\n${r.all ?? ''}`);
  renameSync(tmp, out);
  return out;
}

export const tokenHelper = () => guestHelper('token');

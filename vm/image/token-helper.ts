// The token helper (vm/guest/token/bpf-harness-token.c) is shipped as source and compiled
// on the host with the system C compiler, once per source and compiler version.
import { execa } from 'execa';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { InfraError } from '../../common/errors.js';
import { cacheDir, repoRoot } from '../../common/paths.js';

export const TOKEN_HELPER_SOURCE = join(repoRoot, 'vm', 'guest', 'token', 'bpf-harness-token.c');

export async function tokenHelper(): Promise<string> {
  const cc = process.env.CC || 'gcc';
  const version = await execa(cc, ['--version'], { reject: false });
  if (version.exitCode !== 0) throw new InfraError(`${cc} is not installed; it builds the BPF token helper (apt-get install build-essential)`);
  const key = createHash('sha256').update(readFileSync(TOKEN_HELPER_SOURCE)).update(version.stdout).digest('hex').slice(0, 16);
  const out = cacheDir('tools', `bpf-harness-token-${key}`);
  if (existsSync(out)) return out;
  mkdirSync(cacheDir('tools'), { recursive: true });
  const tmp = `${out}.${process.pid}`;
  const r = await execa(cc, ['-O2', '-Wall', '-Wextra', '-o', tmp, TOKEN_HELPER_SOURCE], { reject: false, all: true });
  if (r.exitCode !== 0) throw new InfraError(`building the BPF token helper failed:\n${r.all ?? ''}`);
  renameSync(tmp, out);
  return out;
}

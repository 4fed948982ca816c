// bpf-harness doctor: what the host lacks, and the apt-get line that brings it.
import { accessSync, constants, readFileSync } from 'node:fs';
import { findCommand } from '../../../common/host-commands.js';
import { join } from 'node:path';
import { repoRoot } from '../../../common/paths.js';


export async function doctor(): Promise<number> {
  const lines = readFileSync(join(repoRoot, 'scripts', 'debian-packages.txt'), 'utf8').split('\n');
  const missing: string[] = [];
  for (const line of lines) {
    const [pkg, cmd] = line.trim().split(/\s+/);
    if (!pkg || pkg.startsWith('#') || !cmd) continue;
    const ok = findCommand(cmd) !== undefined;
    process.stdout.write(`${ok ? 'ok     ' : 'MISSING'} ${cmd.padEnd(36)} (${pkg})\n`);
    if (!ok) missing.push(pkg);
  }
  let kvm = 'no /dev/kvm: guests run under TCG';
  try {
    accessSync('/dev/kvm', constants.R_OK | constants.W_OK);
    kvm = '/dev/kvm opens; `run --accel auto` probes it by booting and falls back to TCG if it fails';
  } catch {
    /* keep message */
  }
  process.stdout.write(`info    ${kvm}\n`);
  if (missing.length) {
    process.stdout.write(`\nmissing packages; install them with:\n  apt-get update && apt-get install -y ${missing.join(' ')}\n(or run: bash scripts/setup.sh)\n`);
    return 1;
  }
  process.stdout.write('\nall set\n');
  return 0;
}

// What every target gets once SSH works: the reset helper with its sysctl baseline,
// and the kernel log stream on its own channel.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InfraError } from './errors.js';
import { repoRoot } from './paths.js';
import { KernelLogStream } from './transport/kernel-log.js';
import { shellQuote, type SshConnection } from './transport/ssh.js';

/** Where the reset helper (vm/guest/bpf-harness-reset) lives on a target; run through sh, as /run is often noexec. */
export const RESET_HELPER = '/run/bpf-harness/reset';

export interface TargetSession {
  kernelLog: KernelLogStream;
  /** Resolves when the helper is in place and the stream shows only new messages. */
  ready: Promise<void>;
}

/** `asRoot` prefixes commands that need root on hosts reached as another user. */
export function startSession(ssh: SshConnection, describe: string, asRoot = ''): TargetSession {
  const kernelLog = new KernelLogStream(ssh, asRoot);
  const script = readFileSync(join(repoRoot, 'vm', 'guest', 'bpf-harness-reset'));
  const setup = `mkdir -p /run/bpf-harness && cat > ${RESET_HELPER} && chmod 755 ${RESET_HELPER} && sh ${RESET_HELPER} baseline`;
  const installed = ssh.exec(`${asRoot}sh -c ${shellQuote(setup)}`, { input: script, timeoutMs: 30000 }).then((r) => {
    if (r.exit !== 0) throw new InfraError(`setting up ${describe} failed (exit ${r.exit}): ${(r.stderr || r.stdout).trim()}`);
  });
  const ready = Promise.all([installed, kernelLog.ready]).then(() => undefined);
  // Awaited by the first scenario; until then a failure must not count as unhandled.
  ready.catch(() => {});
  return { kernelLog, ready };
}

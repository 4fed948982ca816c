// `as:` privilege contexts, applied in the guest with util-linux setpriv: `user` is
// uid/gid 1000 with no capabilities; `{caps: [...]}` is uid 1000 holding exactly those
// capabilities (inheritable + ambient, so they survive exec of bpftool or sh);
// `{token: {...}}` is uid 1000 in its own user namespace with a BPF token.
import type { Privilege } from '../scenario/types.js';
import { shellQuote } from '../../vm/transport/ssh.js';

export const GUEST_USER = { uid: 1000, gid: 1000 };

/** By path: the guest's busybox shell would run its own setpriv applet (no --reuid) for the bare name. */
const SETPRIV = '/bin/setpriv';

export function isRoot(as: Privilege): boolean {
  return as === 'root';
}

/** A command prefix that runs what follows in the context; '' for root. */
export function privilegePrefix(as: Privilege): string {
  if (as === 'root') return '';
  const ids = `--reuid=${GUEST_USER.uid} --regid=${GUEST_USER.gid} --clear-groups`;
  if (as === 'user') return `${SETPRIV} ${ids} --inh-caps=-all --ambient-caps=-all --bounding-set=-all -- `;
  if ('caps' in as) {
    const caps = ['-all', ...as.caps.map((c) => `+${c}`)].join(',');
    return `${SETPRIV} ${ids} --inh-caps=${shellQuote(caps)} --ambient-caps=${shellQuote(caps)} -- `;
  }
  // The helper drops to uid 1000 in a new user namespace with a delegated bpffs mounted
  // and passed to libbpf (vm/helpers/guest/token/bpf-harness-token.c).
  const t = as.token;
  const lists = (['cmds', 'maps', 'progs', 'attachs'] as const)
    .filter((k) => t[k]?.length)
    .map((k) => `--${k} ${shellQuote(t[k]!.join(','))}`);
  return `/bin/bpf-harness-token --uid ${GUEST_USER.uid} ${lists.join(' ')} -- `;
}

// --target ssh://user@host[:port]
import { BadInputError } from '../../common/errors.js';

export interface SshAddress {
  user: string;
  host: string;
  port: number;
}

export function parseSshTarget(value: string): SshAddress {
  const bad = (why: string) =>
    new BadInputError(`--target ${value}: ${why}`, { hint: 'write it as ssh://user@host or ssh://user@host:port, e.g. --target ssh://root@10.0.0.5:22' });
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw bad('not a URL');
  }
  if (url.protocol !== 'ssh:') throw bad(`expected qemu or an ssh:// URL, not ${url.protocol.replace(/:$/, '')}://`);
  if (!url.username) throw bad('no user: name the user to log in as');
  if (!url.hostname) throw bad('no host');
  if (url.password) throw bad('passwords are not taken in the URL; use --identity KEY or an ssh-agent');
  if ((url.pathname && url.pathname !== '/') || url.search || url.hash) throw bad('nothing may follow host[:port]');
  return { user: decodeURIComponent(url.username), host: url.hostname.replace(/^\[|\]$/g, ''), port: url.port ? Number(url.port) : 22 };
}

/** The known_hosts name OpenSSH uses: host for port 22, [host]:port otherwise. */
export const knownHostsName = (a: SshAddress) => (a.port === 22 ? a.host : `[${a.host}]:${a.port}`);

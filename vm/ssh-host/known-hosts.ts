// Host keys of SSH targets, checked against known_hosts the way OpenSSH does: OpenSSH's
// own ssh-keygen -F finds the entries (hashed names included); a host not listed is
// added only when --accept-new-host-key says so, and a changed key or one marked
// @revoked is always refused.
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { BadInputError, InfraError } from '../../common/errors.js';
import { requireCommand } from '../../common/host-commands.js';

export const defaultKnownHosts = () => join(homedir(), '.ssh', 'known_hosts');

/** SHA256:... as `ssh-keygen -l` prints it. */
export const fingerprint = (blob: Buffer) => `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;

/** The key type name at the start of an SSH public key blob (string length + name). */
function keyType(blob: Buffer): string {
  const n = blob.readUInt32BE(0);
  return blob.subarray(4, 4 + n).toString('latin1');
}

export interface KnownHostKeys {
  /** Key blobs listed for the host. */
  keys: Buffer[];
  /** Keys of @revoked lines whose pattern matches the host, with the line in the file. */
  revoked: { key: Buffer; line: number }[];
}

/** The entries for `name` in the file. */
export async function knownKeys(file: string, name: string): Promise<KnownHostKeys> {
  const found: KnownHostKeys = { keys: [], revoked: [] };
  if (!existsSync(file)) return found;
  const keygen = requireCommand('ssh-keygen', 'openssh-client');
  const r = await execa(keygen, ['-F', name, '-f', file], { reject: false });
  // Exit 1 with no output: not found. Each entry follows "# Host NAME found: line N".
  let line = 0;
  for (const l of r.stdout.split('\n')) {
    const at = /^# Host .* found: line (\d+)/.exec(l);
    if (at) line = Number(at[1]);
    if (!l || l.startsWith('#')) continue;
    const f = l.trim().split(/\s+/);
    // "@revoked PATTERN TYPE KEY"; @cert-authority lines are for host certificates, which
    // the harness does not take.
    if (f[0] === '@revoked') found.revoked.push({ key: Buffer.from(f[3] ?? '', 'base64'), line });
    else if (!f[0]?.startsWith('@')) found.keys.push(Buffer.from(f[2] ?? '', 'base64'));
  }
  return found;
}

/** Host key algorithms for the key types listed, so the server shows a key we know (as OpenSSH prefers known types). */
export function algorithmsFor(known: Buffer[]): string[] {
  const types = [...new Set(known.map(keyType))];
  return types.flatMap((t) => (t === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [t]));
}

export interface HostKeyCheck {
  /** For ssh2's hostVerifier: true to go on. Records why it said no. */
  verify(key: Buffer): boolean;
  /** The error for a refused key (call after the connection failed). */
  refusal(): Error | undefined;
  /** After the connection authenticated: add a new key to the file when it was accepted as new. */
  commit(): void;
}

export function hostKeyCheck(file: string, name: string, known: KnownHostKeys, acceptNew: boolean): HostKeyCheck {
  let refused: Error | undefined;
  let toAdd: Buffer | undefined;
  return {
    verify(key) {
      const fp = fingerprint(key);
      // Before anything else: a revoked key stays refused even where a line lists it.
      const revoked = known.revoked.find((r) => r.key.equals(key));
      if (revoked) {
        refused = new InfraError(
          `the host key of ${name} (${keyType(key)} ${fp}) is marked @revoked in ${file}:${revoked.line}: refusing to connect, ` +
            'with or without --accept-new-host-key. If the host has a new key, check its fingerprint and list that one; a revoked key is never accepted.',
        );
        return false;
      }
      if (known.keys.some((k) => k.equals(key))) return true;
      if (known.keys.length) {
        refused = new InfraError(
          `the host key of ${name} (${keyType(key)} ${fp}) is not the one ${file} lists for it: refusing to connect. ` +
            'If the host was reinstalled, remove the old entry with `ssh-keygen -R ' + name + '` and connect again; otherwise someone may be in the middle.',
        );
        return false;
      }
      if (!acceptNew) {
        refused = new BadInputError(`${name} is not in ${file} (its ${keyType(key)} key is ${fp})`, {
          hint: `check that fingerprint, then rerun with --accept-new-host-key to add it (or add it with ssh-keyscan yourself)`,
        });
        return false;
      }
      toAdd = key;
      return true;
    },
    refusal: () => refused,
    commit() {
      if (!toAdd) return;
      mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
      appendFileSync(file, `${name} ${keyType(toAdd)} ${toAdd.toString('base64')}\n`, { mode: 0o600 });
      toAdd = undefined;
    },
  };
}

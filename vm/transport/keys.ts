// The client's SSH identity: an ed25519 key made on first use in the cache dir.
import ssh2 from 'ssh2';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir } from '../../common/paths.js';

export interface ClientKey {
  privateKey: string;
  /** "ssh-ed25519 AAAA... bpf-harness" for authorized_keys. */
  publicLine: string;
  privateKeyPath: string;
}

export async function clientKey(): Promise<ClientKey> {
  const dir = cacheDir('ssh');
  const priv = join(dir, 'id_ed25519');
  const pub = `${priv}.pub`;
  if (!existsSync(priv)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const pair = ssh2.utils.generateKeyPairSync('ed25519', { comment: 'bpf-harness' });
    // Written aside and renamed, so two first runs never see half a key (the last one wins).
    writeFileSync(`${priv}.${process.pid}`, pair.private, { mode: 0o600 });
    renameSync(`${priv}.${process.pid}`, priv);
  }
  const privateKey = readFileSync(priv, 'utf8');
  // The public half is derived from the private key, so the two can never disagree;
  // the .pub file is for people (ssh-copy-id, authorized_keys).
  const parsed = ssh2.utils.parseKey(privateKey);
  if (parsed instanceof Error) throw new Error(`${priv}: ${parsed.message}; delete it and a new key is made`);
  const key = Array.isArray(parsed) ? parsed[0]! : parsed;
  const publicLine = `${key.type} ${key.getPublicSSH().toString('base64')} bpf-harness`;
  if (!existsSync(pub) || readFileSync(pub, 'utf8').trim() !== publicLine) writeFileSync(pub, `${publicLine}\n`);
  return { privateKey, publicLine, privateKeyPath: priv };
}

// The client's SSH identity: an ed25519 key made on first use in the cache dir.
import ssh2 from 'ssh2';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir } from '../paths.js';

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
  if (!existsSync(priv) || !existsSync(pub)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const pair = ssh2.utils.generateKeyPairSync('ed25519', { comment: 'bpf-harness' });
    // Written aside and renamed so two first runs never see half a key.
    writeFileSync(`${priv}.${process.pid}`, pair.private, { mode: 0o600 });
    writeFileSync(`${pub}.${process.pid}`, pair.public + '\n');
    renameSync(`${priv}.${process.pid}`, priv);
    renameSync(`${pub}.${process.pid}`, pub);
  }
  return { privateKey: readFileSync(priv, 'utf8'), publicLine: readFileSync(pub, 'utf8').trim(), privateKeyPath: priv };
}

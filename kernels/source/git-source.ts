// Sources of kind `git`: a shallow fetch of one ref into a cached repository. Offline,
// a ref fetched before is used again, and the run says so. The recipe's url and ref go
// after "--": a ref such as --upload-pack=CMD would otherwise run CMD.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { InfraError } from '../../common/errors.js';
import { cacheDir } from '../../common/paths.js';
import { progress } from '../../common/progress.js';
import { git, type SourceTree } from './tree.js';

const repoDir = (url: string) => cacheDir('sources', 'git', createHash('sha256').update(url).digest('hex').slice(0, 16));
const cachedRef = (ref: string) => `refs/bpf-harness/fetched/${ref.replace(/[^A-Za-z0-9._/-]/g, '_')}`;

/** The identity of the last fetch of url+ref, without touching the network; undefined if never fetched. */
export async function gitCachedIdentity(url: string, ref: string): Promise<string | undefined> {
  const dir = repoDir(url);
  if (!existsSync(dir)) return undefined;
  const r = await git(dir, ['rev-parse', '--verify', '-q', cachedRef(ref)], { reject: false });
  return r.exitCode === 0 ? `git:${url}@${r.stdout.trim()}` : undefined;
}

export async function gitSource(url: string, ref: string): Promise<SourceTree> {
  const dir = repoDir(url);
  if (!existsSync(dir)) {
    mkdirSync(dir, { recursive: true });
    await git(dir, ['init', '-q']);
    await git(dir, ['remote', 'add', '--', 'origin', url]);
  }
  const cached = cachedRef(ref);
  progress(`fetching ${url} ${ref} (shallow)`);
  const f = await git(dir, ['fetch', '--depth', '1', '--no-tags', '--', 'origin', ref], { reject: false, timeout: 30 * 60_000 });
  let commit: string;
  if (f.exitCode === 0) {
    commit = (await git(dir, ['rev-parse', 'FETCH_HEAD'])).stdout.trim();
    await git(dir, ['update-ref', cached, commit]);
  } else {
    const old = await git(dir, ['rev-parse', '--verify', '-q', cached], { reject: false });
    if (old.exitCode !== 0) {
      throw new InfraError(`git fetch ${url} ${ref} failed and no earlier fetch of it is cached:\n${f.all.trim()}\n` +
        'the network may be unreachable; use a debian-source or path recipe offline');
    }
    commit = old.stdout.trim();
    progress(`git fetch failed; using the cached ${ref} at ${commit.slice(0, 12)}`);
  }
  return { dir, base: commit, identity: `git:${url}@${commit}`, describe: `${url} ${ref} (${commit.slice(0, 12)})`, owned: true };
}

// Debian packages through apt: look up a version, download into the cache.
// `apt-get download` needs no root. Package names come from recipes: they go after "--",
// so that none is read as an option.
import { execa } from 'execa';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { InfraError } from '../../common/errors.js';
import { cacheDir } from '../../common/paths.js';
import { progress } from '../../common/progress.js';

export async function candidateVersion(pkg: string): Promise<string | undefined> {
  const r = await execa('apt-cache', ['policy', '--', pkg], { reject: false });
  const m = /Candidate:\s*(\S+)/.exec(r.stdout);
  return m && m[1] !== '(none)' ? m[1] : undefined;
}

/** The .deb of pkg=version in the cache, downloaded if missing. */
export async function downloadDeb(pkg: string, version: string, arch: string): Promise<string> {
  const debs = cacheDir('debs');
  mkdirSync(debs, { recursive: true });
  const deb = join(debs, `${pkg}_${version.replace(/:/g, '%3a')}_${arch}.deb`);
  if (existsSync(deb)) return deb;
  progress(`downloading ${pkg} ${version} with apt-get download`);
  const r = await execa('apt-get', ['download', '--', `${pkg}=${version}`], { cwd: debs, reject: false, all: true });
  if (r.exitCode !== 0 || !existsSync(deb)) throw new InfraError(`apt-get download ${pkg}=${version} failed:\n${r.all ?? ''}`);
  return deb;
}

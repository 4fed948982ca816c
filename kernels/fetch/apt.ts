// Debian packages through apt: look up a version, download into the cache.
// `apt-get download` needs no root. Package names come from recipes: they go after "--",
// so that none is read as an option.
import { execa } from 'execa';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { InfraError } from '../../common/errors.js';
import { cacheDir, cacheRoot } from '../../common/paths.js';
import { progress } from '../../common/progress.js';
import { writeFileAtomically } from '../../common/publish.js';

/** What apt's answers depend on: its package lists (apt-get update), sources and pins. */
const APT_STATE = ['/var/lib/apt/lists', '/etc/apt/sources.list', '/etc/apt/sources.list.d', '/etc/apt/preferences', '/etc/apt/preferences.d'];

function aptState(): string {
  return APT_STATE.map((p) => statSync(p, { throwIfNoEntry: false })?.mtimeMs ?? 0).join('|');
}

interface Answers {
  state: string;
  candidates: Record<string, string | null>;
}

const answersFile = () => cacheDir('apt-candidates.json');

function readAnswers(state: string): Answers {
  try {
    const a = JSON.parse(readFileSync(answersFile(), 'utf8')) as Answers;
    if (a.state === state && a.candidates && typeof a.candidates === 'object') return a;
  } catch {
    /* none yet, or unreadable: asked again */
  }
  return { state, candidates: {} };
}

/**
 * The version apt would install. `apt-cache policy` takes ~0.7 s (it loads the whole
 * package cache), and every run with a Debian kernel asks it about the same packages,
 * so its answers are kept until apt's lists, sources or pins change.
 */
export async function candidateVersion(pkg: string): Promise<string | undefined> {
  const state = aptState();
  const known = readAnswers(state);
  if (pkg in known.candidates) return known.candidates[pkg] ?? undefined;
  const r = await execa('apt-cache', ['policy', '--', pkg], { reject: false });
  const m = /Candidate:\s*(\S+)/.exec(r.stdout);
  const version = m && m[1] !== '(none)' ? m[1] : undefined;
  if (r.exitCode === 0 && existsSync(cacheRoot())) {
    const now = readAnswers(state);
    now.candidates[pkg] = version ?? null;
    // Kept if it can be: `kernel list` asks too, and only reads the cache.
    try {
      writeFileAtomically(answersFile(), JSON.stringify(now));
    } catch {
      /* a cache we may not write: asked again next time */
    }
  }
  return version;
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

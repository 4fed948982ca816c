// Debian packages through apt: look up a version, download into the cache.
// `apt-get download` needs no root. Package names come from recipes: they go after "--",
// so that none is read as an option.
import { execa } from 'execa';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { InfraError } from './errors.js';
import { cacheDir, cacheRoot } from './paths.js';
import { emit } from './progress.js';
import { writeFileAtomically } from './publish.js';

/** What apt's answers depend on: its package lists (apt-get update), sources and pins. */
const APT_STATE = ['/var/lib/apt/lists', '/etc/apt/sources.list', '/etc/apt/sources.list.d', '/etc/apt/preferences', '/etc/apt/preferences.d'];

function aptState(): string {
  return APT_STATE.map((p) => statSync(p, { throwIfNoEntry: false })?.mtimeMs ?? 0).join('|');
}

interface Answers {
  state: string;
  candidates: Record<string, string | null>;
  /** pkg=version -> whether apt can download it. */
  available?: Record<string, boolean>;
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
  const known = readAnswers(aptState());
  if (pkg in known.candidates) return known.candidates[pkg] ?? undefined;
  const r = await execa('apt-cache', ['policy', '--', pkg], { reject: false });
  const m = /Candidate:\s*(\S+)/.exec(r.stdout);
  const version = m && m[1] !== '(none)' ? m[1] : undefined;
  if (r.exitCode === 0) keepAnswer((a) => { a.candidates[pkg] = version ?? null; });
  return version;
}

/** Whether apt can download pkg=version (an older version than the candidate, say). */
export async function versionAvailable(pkg: string, version: string): Promise<boolean> {
  const key = `${pkg}=${version}`;
  const known = readAnswers(aptState()).available?.[key];
  if (known !== undefined) return known;
  const r = await execa('apt-cache', ['show', '--no-all-versions', '--', key], { reject: false });
  // apt-cache show exits 100 for a version it does not know; anything else is not an answer to keep.
  const available = r.exitCode === 0 && /^Version:/m.test(r.stdout);
  if (r.exitCode === 0 || r.exitCode === 100) keepAnswer((a) => { (a.available ??= {})[key] = available; });
  return available;
}

/** Kept if it can be: `kernel list` asks too, and only reads the cache. */
function keepAnswer(change: (a: Answers) => void): void {
  if (!existsSync(cacheRoot())) return;
  const now = readAnswers(aptState());
  change(now);
  try {
    writeFileAtomically(answersFile(), JSON.stringify(now));
  } catch {
    /* a cache we may not write: asked again next time */
  }
}

/** Where apt-get download leaves pkg=version's .deb in the cache (it writes an epoch's ':' as %3a). */
export const debPath = (pkg: string, version: string, arch: string) => cacheDir('debs', `${pkg}_${version.replace(/:/g, '%3a')}_${arch}.deb`);

/** The .deb of pkg=version in the cache, downloaded if missing. */
export async function downloadDeb(pkg: string, version: string, arch: string): Promise<string> {
  const debs = cacheDir('debs');
  mkdirSync(debs, { recursive: true });
  const deb = debPath(pkg, version, arch);
  if (existsSync(deb)) return deb;
  const what = `${pkg} ${version} (apt-get download)`;
  emit({ type: 'download', phase: 'start', what });
  const r = await execa('apt-get', ['download', '--', `${pkg}=${version}`], { cwd: debs, reject: false, all: true });
  if (r.exitCode !== 0 || !existsSync(deb)) {
    emit({ type: 'download', phase: 'failed', what });
    throw new InfraError(`apt-get download ${pkg}=${version} failed:\n${r.all ?? ''}`);
  }
  emit({ type: 'download', phase: 'end', what, bytes: statSync(deb).size });
  return deb;
}

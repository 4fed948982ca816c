// Cross-process locks (proper-lockfile) on names in the cache: two runs never import,
// build or publish the same thing at once. A holder that died is taken over after a minute.
import { mkdirSync, writeFileSync } from 'node:fs';
import lockfile from 'proper-lockfile';
import { cacheDir } from './paths.js';
import { progress } from './progress.js';

const OPTS = { stale: 60000, update: 10000 };

/** The lock `name` if nobody holds it now, else undefined (for gc, which must not wait on a build). */
export async function tryLock(name: string): Promise<(() => Promise<void>) | undefined> {
  mkdirSync(cacheDir('locks'), { recursive: true });
  const target = lockPath(name);
  writeFileSync(target, '');
  return lockfile.lock(target, OPTS).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ELOCKED') return undefined;
    throw e;
  });
}

const lockPath = (name: string) => cacheDir('locks', name.replace(/[^A-Za-z0-9]+/g, '_'));

/** Run fn holding the lock `name` (any path-like string); says so when it has to wait. */
export async function withLock<T>(name: string, what: string, fn: () => Promise<T>): Promise<T> {
  mkdirSync(cacheDir('locks'), { recursive: true });
  const target = lockPath(name);
  writeFileSync(target, '');
  const release = await lockfile.lock(target, OPTS).catch((e: NodeJS.ErrnoException) => {
    if (e.code !== 'ELOCKED') throw e;
    progress(`another run is ${what}; waiting for it`);
    return lockfile.lock(target, { ...OPTS, retries: { retries: 1440, minTimeout: 1000, maxTimeout: 5000 } });
  });
  try {
    return await fn();
  } finally {
    await release();
  }
}

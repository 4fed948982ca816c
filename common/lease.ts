// Leases on cache entries: a running harness says which built kernels and build
// directories it is using, so `kernel gc` leaves them alone. A lease is a file naming
// the process and the path; one whose process is gone counts for nothing.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir } from './paths.js';

const leasesDir = () => cacheDir('leases');
const mine = new Set<string>();
let exitHook = false;

/** Whether a process with that pid is alive (EPERM: alive, owned by someone else). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Holds path for this process until it exits (or release is called). */
export function lease(path: string): () => void {
  mkdirSync(leasesDir(), { recursive: true });
  const file = join(leasesDir(), `${process.pid}-${createHash('sha256').update(path).digest('hex').slice(0, 16)}`);
  writeFileSync(file, path);
  mine.add(file);
  if (!exitHook) {
    exitHook = true;
    process.on('exit', () => mine.forEach((f) => rmSync(f, { force: true })));
  }
  return () => {
    mine.delete(file);
    rmSync(file, { force: true });
  };
}

/** Paths live processes hold; leases of dead ones are removed on the way. */
export function leasedPaths(): Set<string> {
  const held = new Set<string>();
  let names: string[] = [];
  try {
    names = readdirSync(leasesDir());
  } catch {
    return held;
  }
  for (const name of names) {
    const f = join(leasesDir(), name);
    const pid = Number(/^(\d+)-/.exec(name)?.[1]);
    if (!pid || !alive(pid)) {
      rmSync(f, { force: true });
      continue;
    }
    try {
      held.add(readFileSync(f, 'utf8'));
    } catch {
      /* released meanwhile */
    }
  }
  return held;
}

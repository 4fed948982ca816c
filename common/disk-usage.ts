// How many bytes a file or a directory tree holds: what `kernel gc` reports freeing.
import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Bytes under p (a link counts as itself, not what it points to); 0 when p is gone. */
export function duBytes(p: string): number {
  let st;
  try {
    st = lstatSync(p);
  } catch {
    return 0;
  }
  if (!st.isDirectory()) return st.size;
  return readdirSync(p).reduce((n, e) => n + duBytes(join(p, e)), 0);
}

/** A size as the cache listings print it ("223 MB"). */
export const mb = (n: number) => `${(n / 1e6).toFixed(0)} MB`;

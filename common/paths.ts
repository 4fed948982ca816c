// Where the harness keeps what it builds and downloads, and where its own sources live.
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** ${BPF_HARNESS_CACHE:-${XDG_CACHE_HOME:-~/.cache}/bpf-harness} */
export function cacheRoot(): string {
  if (process.env.BPF_HARNESS_CACHE) return resolve(process.env.BPF_HARNESS_CACHE);
  const xdg = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(xdg, 'bpf-harness');
}

/** Which setting chose cacheRoot(), for messages. */
export function cacheRootOrigin(): string {
  if (process.env.BPF_HARNESS_CACHE) return 'BPF_HARNESS_CACHE';
  return process.env.XDG_CACHE_HOME ? 'XDG_CACHE_HOME/bpf-harness' : 'the default, ~/.cache/bpf-harness';
}

export function cacheDir(...parts: string[]): string {
  return join(cacheRoot(), ...parts);
}

/** The repository root (compiled code runs from dist/<folder>/..., sources from <folder>/...). */
export const repoRoot: string = (() => {
  const here = fileURLToPath(new URL('.', import.meta.url));
  const parts = here.split('/');
  const dist = parts.lastIndexOf('dist');
  return dist >= 0 ? parts.slice(0, dist).join('/') || '/' : resolve(here, '..');
})();

/** A kernel or scenario file as a directory name in --out (and a pin name: bpffs refuses dots). */
export const slug = (s: string) => s.replace(/\.ya?ml$/, '').replace(/[^A-Za-z0-9_-]+/g, '_');

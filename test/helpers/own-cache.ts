// A cache of the test's own, for this process too (the harness's functions are called
// in-process), until the test ends.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type t from 'tap';

type T = Parameters<Parameters<typeof t.test>[0]>[0];

export function ownCache(t: T, prefix = 'bpf-harness-cache-'): string {
  const cache = mkdtempSync(join(tmpdir(), prefix));
  const saved = process.env.BPF_HARNESS_CACHE;
  process.env.BPF_HARNESS_CACHE = cache;
  t.teardown(() => {
    if (saved === undefined) delete process.env.BPF_HARNESS_CACHE;
    else process.env.BPF_HARNESS_CACHE = saved;
    rmSync(cache, { recursive: true, force: true });
  });
  return cache;
}

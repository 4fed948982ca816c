// Kernel modules the guest needs before it can reach the network (virtio_net is a module
// in Debian's kernels), resolved with the kernel's own modules.dep and modules.builtin.
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';

/** Modules the guest init loads, by module name; skipped when built in (6.12 builds in virtio_pci, 6.1 does not). */
export const GUEST_MODULES = ['virtio_pci', 'virtio_net'];

const moduleName = (path: string) => basename(path).replace(/\.ko(\.xz|\.zst|\.gz)?$/, '').replace(/-/g, '_');

/**
 * Module files (relative to modulesDir) in load order: dependencies first.
 * modules.dep lists a module's dependencies so that the last one is loaded first.
 */
export function moduleLoadOrder(modulesDir: string, wanted: string[]): string[] {
  const deps = new Map<string, { file: string; deps: string[] }>();
  for (const line of readFileSync(join(modulesDir, 'modules.dep'), 'utf8').split('\n')) {
    const [file, rest] = line.split(':');
    if (!file || rest === undefined) continue;
    deps.set(moduleName(file), { file, deps: rest.trim().split(/\s+/).filter(Boolean) });
  }
  const builtin = new Set(
    readFileSync(join(modulesDir, 'modules.builtin'), 'utf8').split('\n').filter(Boolean).map(moduleName),
  );
  const order: string[] = [];
  const visit = (name: string) => {
    if (builtin.has(name) || order.some((f) => moduleName(f) === name)) return;
    const entry = deps.get(name);
    if (!entry) throw new Error(`kernel module ${name} is neither built in nor in ${modulesDir}/modules.dep`);
    for (const d of [...entry.deps].reverse()) visit(moduleName(d));
    order.push(entry.file);
  };
  wanted.forEach(visit);
  return order;
}

// The layers of docs/architecture.md hold, with no exception: each file imports only its
// own layer and the layers below it; the runner and the CLI reach a backend only
// through the registry; no two folders import each other, even by a detour; and every
// path the page names exists, so the page stays true to the tree.
import t from 'tap';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { repoRoot } from '../common/paths.js';

function sources(dir: string): string[] {
  return readdirSync(join(repoRoot, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => relative(repoRoot, join(e.parentPath, e.name)));
}

/** The repository paths a file imports (relative imports only), as .ts paths. */
function imports(file: string): string[] {
  const src = readFileSync(join(repoRoot, file), 'utf8');
  return [...src.matchAll(/(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)].map((m) =>
    relative(repoRoot, resolve(repoRoot, dirname(file), m[1]!)).replace(/\.js$/, '.ts'));
}

/** Lowest first: a file may import from its own layer and those before it. */
const LAYERS: [string, RegExp][] = [
  ['common', /^common\//],
  ['kernels', /^kernels\//],
  ['the target interface', /^vm\/(target|session|registry)\.ts$|^vm\/(transport|crash)\//],
  ['the guest helpers', /^vm\/helpers\//],
  ['a backend', /^vm\/(qemu|ssh-host|fake)\//],
  ['the backend list', /^vm\/backends\//],
  ['harness', /^harness\//],
];
const layerOf = (f: string) => LAYERS.findIndex(([, re]) => re.test(f));
const BACKEND = /^vm\/(qemu|ssh-host|fake)\//;
const backendOf = (f: string) => BACKEND.exec(f)?.[1];
const PRODUCT = ['common', 'kernels', 'vm', 'harness'];

t.test('every file of the product is in a layer', async (t) => {
  t.same(PRODUCT.flatMap(sources).filter((f) => layerOf(f) < 0), []);
});

t.test('no file imports from a layer above its own', async (t) => {
  const wrong = PRODUCT.flatMap(sources).flatMap((f) => imports(f).filter((i) => layerOf(i) > layerOf(f)).map((i) => `${f} (${LAYERS[layerOf(f)]![0]}) -> ${i} (${LAYERS[layerOf(i)]?.[0]})`));
  t.same(wrong, [], 'no upward import');
});

t.test('a backend imports no other backend, and harness/ none at all (only the registry and the backend list)', async (t) => {
  const wrong = PRODUCT.flatMap(sources).filter((f) => !f.startsWith('vm/backends/')).flatMap((f) => imports(f).filter((i) => backendOf(i) && backendOf(i) !== backendOf(f)).map((i) => `${f} -> ${i}`));
  t.same(wrong, [], 'no import of another backend');
  const helpers = sources('harness').flatMap((f) => imports(f).filter((i) => /^vm\/helpers\//.test(i)).map((i) => `${f} -> ${i}`));
  t.same(helpers, [], 'the guest helpers are the backends\' business');
});

/** A file's folder, two levels deep at most (harness/cli/commands is harness/cli). */
const folderOf = (f: string) => dirname(f).split('/').slice(0, 2).join('/');

t.test('no folder imports another that imports it back, directly or by a detour', async (t) => {
  const edges = new Map<string, Set<string>>();
  for (const f of PRODUCT.flatMap(sources)) {
    for (const i of imports(f)) {
      const [a, b] = [folderOf(f), folderOf(i)];
      if (a !== b) edges.set(a, (edges.get(a) ?? new Set()).add(b));
    }
  }
  const cycles: string[] = [];
  // A depth-first walk from each folder: reaching the start again is a cycle.
  for (const start of edges.keys()) {
    const seen = new Set<string>();
    const walk = (at: string, path: string[]) => {
      for (const next of edges.get(at) ?? []) {
        if (next === start) cycles.push([...path, next].join(' -> '));
        else if (!seen.has(next)) {
          seen.add(next);
          walk(next, [...path, next]);
        }
      }
    };
    walk(start, [start]);
  }
  t.same(cycles, [], 'the folders form no cycle');
});

t.test('every path docs/architecture.md names exists', async (t) => {
  const page = readFileSync(join(repoRoot, 'docs', 'architecture.md'), 'utf8');
  const named = [...page.matchAll(/`((?:common|harness|vm|kernels|test)\/[^`\s]*)`/g)].map((m) => m[1]!);
  t.ok(named.length > 20, `the page names ${named.length} paths`);
  const missing = named.filter((p) => !existsSync(join(repoRoot, p)) && !existsSync(join(repoRoot, 'harness', p)) && !existsSync(join(repoRoot, 'vm', p)));
  t.same(missing, [], 'each exists');
});

t.test('no architecture is named outside the table of common/arch.ts', async (t) => {
  // Code only: comments may give examples (linux-image-6.12.117+deb12-amd64).
  const ARCH_WORDS = /x86_64|'x86'|aarch64|'arm64'|s390|'amd64'|qemu-system-|__TARGET_ARCH_|ttyS0|ttyAMA0|arch\/x86|-m(little|big)-endian/;
  const code = (f: string) => readFileSync(join(repoRoot, f), 'utf8').split('\n').map((l, i) => [i + 1, l.replace(/\/\/.*$/, '')] as const).filter(([, l]) => !/^\s*(\*|\/\*)/.test(l));
  const named = PRODUCT.flatMap(sources).filter((f) => f !== 'common/arch.ts').flatMap((f) => code(f).filter(([, l]) => ARCH_WORDS.test(l)).map(([n, l]) => `${f}:${n}: ${l.trim()}`));
  t.same(named, [], 'each in the table');
});

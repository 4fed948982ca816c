// The layers of docs/architecture.md hold: common/ imports nothing of ours, kernels/ only
// common/, vm/ only common/, kernels/ and the target interface of harness/; and every
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

/** What harness/ offers vm/: the target interface its backend implements. */
const TARGET_INTERFACE = /^harness\/(target\.ts|target-session\.ts|targets\/pool\.ts|transport\/)/;
const RULES: [string, (imported: string) => boolean][] = [
  ['common', (i) => i.startsWith('common/')],
  ['kernels', (i) => i.startsWith('common/') || i.startsWith('kernels/')],
  ['vm', (i) => i.startsWith('common/') || i.startsWith('kernels/') || i.startsWith('vm/') || TARGET_INTERFACE.test(i)],
];

for (const [layer, allowed] of RULES) {
  t.test(`${layer}/ imports only what its layer may`, async (t) => {
    const wrong = sources(layer).flatMap((f) => imports(f).filter((i) => !allowed(i)).map((i) => `${f} -> ${i}`));
    t.same(wrong, [], 'no import across the layers');
  });
}

t.test('every path docs/architecture.md names exists', async (t) => {
  const page = readFileSync(join(repoRoot, 'docs', 'architecture.md'), 'utf8');
  const named = [...page.matchAll(/`((?:common|harness|vm|kernels|test)\/[^`\s]*)`/g)].map((m) => m[1]!);
  t.ok(named.length > 20, `the page names ${named.length} paths`);
  const missing = named.filter((p) => !existsSync(join(repoRoot, p)) && !existsSync(join(repoRoot, 'harness', p)));
  t.same(missing, [], 'each exists');
});

// A kernel's artifacts.json in the cache that is not JSON (or not artifacts) counts as
// absent: it is made again, with one progress note and no stack trace. No kernel is built:
// the entries are written here by hand in a temporary cache.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { publishOnce } from '../common/publish.js';
import { readArtifacts, type KernelArtifacts } from '../kernels/recipe/artifacts.js';
import { builtDir, readBuiltKernel } from '../kernels/build/builder.js';
import { kindOf } from '../kernels/kinds/index.js';
import { resolveRecipe } from '../kernels/recipe/recipe.js';
import { recipeFile } from '../kernels/resolve.js';
import { cli } from './helpers/cli.js';

const cache = mkdtempSync(join(tmpdir(), 'kernel-cache-entry-'));
process.env.BPF_HARNESS_CACHE = cache;
t.teardown(() => rmSync(cache, { recursive: true, force: true }));

// Worked out before any subtest starts (tap ends the file once they are done).
const scxKey = await kindOf(resolveRecipe(recipeFile('scx-6.12'))).key().catch(() => undefined);

const ART: KernelArtifacts = { name: 'k', release: '6.12.0', origin: 'test', bzImage: '/x/bzImage', config: '/x/config' };

/** What fn wrote to stderr (progress notes go there). */
async function stderrOf(fn: () => unknown): Promise<string> {
  let got = '';
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array) => {
    got += String(chunk);
    return true;
  }) as typeof process.stderr.write;
  try {
    await fn();
  } finally {
    process.stderr.write = write;
  }
  return got;
}

function entry(name: string, text: string): string {
  const dir = join(cache, 'entries', name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'artifacts.json'), text);
  return join(dir, 'artifacts.json');
}

t.test('readArtifacts: absent and valid entries as they are, corrupt ones absent with a note', async (t) => {
  t.equal(readArtifacts(join(cache, 'nowhere', 'artifacts.json')), undefined, 'absent');
  t.same(readArtifacts(entry('valid', JSON.stringify(ART))), ART, 'valid');
  const cases: [string, string, RegExp][] = [
    ['truncated', JSON.stringify(ART).slice(0, 30), /is corrupt \(not JSON: /],
    ['binary', '\u0000\u0001garbage', /is corrupt \(not JSON: /],
    ['empty', '', /is corrupt \(not JSON: /],
    ['array', '[]', /is corrupt \(no release, bzImage, config in it\)/],
    ['wrong shape', '{"release": 6, "bzImage": "/x", "config": "/y"}', /is corrupt \(no release in it\)/],
  ];
  for (const [name, text, why] of cases) {
    const file = entry(name, text);
    let got: KernelArtifacts | undefined = ART;
    const note = await stderrOf(() => (got = readArtifacts(file)));
    t.equal(got, undefined, `${name}: absent`);
    t.match(note, `bpf-harness: cache entry ${file} `, `${name}: a progress note naming the file`);
    t.match(note, why, `${name}: saying why`);
    t.match(note, /; treating it as absent and making it again\n$/, `${name}: and what happens`);
    t.notMatch(note, /^\s+at /m, `${name}: no stack trace`);
    t.equal(await stderrOf(() => readArtifacts(file)), '', `${name}: the note comes once`);
  }
  // A directory where the file should be: absent too, not EISDIR's stack trace.
  const dir = join(cache, 'entries', 'a-directory', 'artifacts.json');
  mkdirSync(dir, { recursive: true });
  let got: KernelArtifacts | undefined = ART;
  const note = await stderrOf(() => (got = readArtifacts(dir)));
  t.equal(got, undefined, 'a directory: absent');
  t.match(note, `bpf-harness: cache entry ${dir} is corrupt (not a regular file); treating it as absent and making it again`);
});

t.test('readBuiltKernel: a corrupt built kernel is not built', async (t) => {
  const key = 'corrupt0123456789';
  mkdirSync(builtDir(key), { recursive: true });
  writeFileSync(join(builtDir(key), 'artifacts.json'), '{"name": "scx-6.12", "key": ');
  let got: unknown = 'unset';
  t.match(await stderrOf(() => (got = readBuiltKernel(key))), /is corrupt/);
  t.equal(got, undefined);
  // A built kernel's own fields count too: kernel list shows createdAt.
  writeFileSync(join(builtDir(key), 'artifacts.json'), JSON.stringify(ART));
  t.equal(readBuiltKernel(key), undefined, 'artifacts without key, createdAt, buildLog');
  const built = { ...ART, key, createdAt: '2026-11-23T06:20:00.000Z', buildLog: '/x/build.log' };
  writeFileSync(join(builtDir(key), 'artifacts.json'), JSON.stringify(built));
  t.same(readBuiltKernel(key), built, 'a whole one is read');
});

t.test('publishOnce makes a corrupt entry again; a good one is used as it is', async (t) => {
  const stamp = entry('republish', 'not json {');
  const dir = join(stamp, '..');
  writeFileSync(join(dir, 'leftover'), 'from the broken publish\n');
  let made = 0;
  const publish = () => publishOnce(dir, stamp, 'test entry', () => readArtifacts(stamp)!, async (tmp) => {
    made++;
    writeFileSync(join(tmp, 'artifacts.json'), JSON.stringify(ART));
  }, () => readArtifacts(stamp) !== undefined);
  let got: KernelArtifacts | undefined;
  const note = await stderrOf(async () => (got = await publish()));
  t.equal(made, 1, 'made again');
  t.same(got, ART, 'and read');
  t.match(note, /is corrupt \(not JSON/, 'saying so');
  t.same(readdirSync(dir), ['artifacts.json'], 'the broken entry was replaced as a whole');
  t.same(await publish(), ART);
  t.equal(made, 1, 'a good entry is not made again');
  t.notOk(existsSync(`${dir}.tmp-${process.pid}`), 'no temporary directory left');
});

t.test('kernel list over a corrupt built kernel: listed as not built, a note, no stack trace', {
  skip: scxKey ? false : 'the key of scx-6.12 cannot be known here (no linux-source-6.12 in apt)',
}, async (t) => {
  const key = scxKey!;
  mkdirSync(builtDir(key), { recursive: true });
  writeFileSync(join(builtDir(key), 'artifacts.json'), '{"name": "scx-6.12", "release": "6.12');
  const r = await cli(['kernel', 'list'], { BPF_HARNESS_CACHE: cache });
  t.equal(r.exitCode, 0, 'exit 0', { output: r.all });
  t.match(r.stdout, new RegExp(`^scx-6\\.12 +debian-source +not built \\(${key}\\)$`, 'm'));
  t.match(r.stderr, `bpf-harness: cache entry ${join(builtDir(key), 'artifacts.json')} is corrupt (not JSON: `);
  t.notMatch(r.all, /^\s+at |internal error/m, 'no stack trace');
  // artifacts.json a directory: not built as well.
  rmSync(join(builtDir(key), 'artifacts.json'));
  mkdirSync(join(builtDir(key), 'artifacts.json'));
  const d = await cli(['kernel', 'list'], { BPF_HARNESS_CACHE: cache });
  t.equal(d.exitCode, 0, 'a directory: exit 0', { output: d.all });
  t.match(d.stdout, new RegExp(`^scx-6\\.12 +debian-source +not built \\(${key}\\)$`, 'm'));
  t.match(d.stderr, 'is corrupt (not a regular file)');
  t.notMatch(d.all, /^\s+at |internal error/m, 'a directory: no stack trace');
});

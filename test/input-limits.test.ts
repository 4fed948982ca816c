// Limits on what users hand the harness: scenario and recipe files over 1 MiB are refused
// before parsing, naming the file; at most 50 problems of one file are listed; files that
// are not regular (FIFOs, devices) are never opened.
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { execa } from 'execa';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { MAX_PROBLEMS_PER_FILE } from '../common/errors.js';
import { loadScenario } from '../harness/scenario/load.js';
import { loadYamlFile, MAX_INPUT_BYTES } from '../common/yaml-file.js';
import { scenarioSchema } from '../harness/scenario/schema.js';
import { loadRecipeFile } from '../kernels/recipe/load.js';
import { badInput } from './helpers/bad-input.js';
import { CLI, cli } from './helpers/cli.js';
import { repoRoot } from '../common/paths.js';
import { readInputFile } from '../common/input-file.js';

const dir = mkdtempSync(join(tmpdir(), 'input-limits-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

/** A valid YAML file of exactly `bytes` bytes: a comment padding a small document. */
function yamlOfSize(name: string, doc: string, bytes: number): string {
  const file = join(dir, name);
  const pad = bytes - doc.length - 2;
  writeFileSync(file, `${doc}#${'x'.repeat(pad)}\n`);
  return file;
}

const SCENARIO = 'name: t\nsteps:\n  - run: "true"\n';
const RECIPE = 'name: k\nsource: {debian-image: linux-image-6.12.117+deb12-amd64}\n';

t.test('a file of exactly 1 MiB loads; one byte more is refused, naming the file and the limit', async (t) => {
  t.equal(loadScenario(yamlOfSize('at-limit.yaml', SCENARIO, MAX_INPUT_BYTES)).name, 't');
  t.equal(loadRecipeFile(yamlOfSize('recipe-at-limit.yaml', RECIPE, MAX_INPUT_BYTES)).name, 'k');
  for (const [what, file, load] of [
    ['scenario', yamlOfSize('over.yaml', SCENARIO, MAX_INPUT_BYTES + 1), loadScenario],
    ['recipe', yamlOfSize('recipe-over.yaml', RECIPE, MAX_INPUT_BYTES + 1), loadRecipeFile],
  ] as const) {
    const e = badInput(() => load(file));
    t.equal(e.file, file, `${what}: the error names the file`);
    t.match(e.message, `${file}: error: the file is ${MAX_INPUT_BYTES + 1} bytes, over the limit of 1 MiB (1048576 bytes)`, what);
    t.match(e.message, /\n {2}hint: check that the path names the file you meant/, `${what}: a hint`);
  }
});

t.test('a file with no end (a device) is refused before it is opened', async (t) => {
  const e = badInput(() => loadYamlFile('/dev/zero', () => scenarioSchema(), { schemaRef: 'scenarios/schema.json' }));
  t.match(e.message, '/dev/zero: error: the file is a character device, not a regular file');
});

t.test(`at most ${MAX_PROBLEMS_PER_FILE} problems of a file are listed, and how many more there are`, async (t) => {
  const keys = Array.from({ length: 73 }, (_, i) => `unknown${i}: 1`);
  const file = join(dir, 'many.yaml');
  writeFileSync(file, `${SCENARIO}${keys.join('\n')}\n`);
  const e = badInput(() => loadScenario(file));
  t.equal(e.problems.length, 73, 'every problem is kept in the error');
  const errors = e.message.split('\n').filter((l) => / error: /.test(l));
  t.equal(errors.length, MAX_PROBLEMS_PER_FILE, `${MAX_PROBLEMS_PER_FILE} listed`);
  t.match(errors.at(-1), `many.yaml:${3 + MAX_PROBLEMS_PER_FILE}:1: error: unknown top-level key "unknown${MAX_PROBLEMS_PER_FILE - 1}"`, 'the first ones, in file order');
  t.match(e.message.split('\n').at(-1), `many.yaml: 23 more problems not listed (fix the first ${MAX_PROBLEMS_PER_FILE} and run again)`);
  const few = join(dir, 'few.yaml');
  writeFileSync(few, `${SCENARIO}${keys.slice(0, MAX_PROBLEMS_PER_FILE).join('\n')}\n`);
  t.notMatch(badInput(() => loadScenario(few)).message, /more problem/, `exactly ${MAX_PROBLEMS_PER_FILE}: no "more" line`);
});

t.test('through the CLI: exit 2 naming the file, before anything is built or booted', async (t) => {
  const cache = join(dir, 'cache');
  const env = { BPF_HARNESS_CACHE: cache };
  const big = yamlOfSize('big-scenario.yaml', SCENARIO, 50 * MAX_INPUT_BYTES);
  const run = await cli(['run', big, '--out', join(dir, 'out')], env);
  t.equal(run.exitCode, 2, 'run: exit 2', { stderr: run.stderr });
  t.match(run.stderr, `${big}: error: the file is ${50 * MAX_INPUT_BYTES} bytes, over the limit of 1 MiB`);
  const recipe = yamlOfSize('big-recipe.yaml', RECIPE, 2 * MAX_INPUT_BYTES);
  const build = await cli(['kernel', 'build', recipe], env);
  t.equal(build.exitCode, 2, 'kernel build: exit 2', { stderr: build.stderr });
  t.match(build.stderr, `${recipe}: error: the file is ${2 * MAX_INPUT_BYTES} bytes, over the limit of 1 MiB`);
  t.same(readdirSync(dir).filter((f) => f === 'cache' || f === 'out'), [], 'no cache and no out/ made');
});

// Issue 21: files where recipes are looked for (beside a scenario, kernels/ folders) were
// read whole, with no type or size check: a FIFO hung validate, list and run (SIGTERM
// too), /dev/zero grew past 4 GB, a 50 MB neighbour took 41 s and 2.6 GB.
t.test('neighbours that are FIFOs, devices or over 1 MiB are not opened: validate names them, list and run go on', async (t) => {
  const suite = join(dir, 'neighbours');
  mkdirSync(join(suite, 'kernels'), { recursive: true });
  writeFileSync(join(suite, 'a.yaml'), SCENARIO);
  await execa('mkfifo', [join(suite, 'kernels', 'fifo.yaml')]);
  symlinkSync('/dev/zero', join(suite, 'kernels', 'zero.yaml'));
  yamlOfSize('neighbours/kernels/big.yaml', RECIPE, 50 * MAX_INPUT_BYTES);
  // A hang would end here, as a failure, not in tap's timeout.
  const run = (args: string[]) => execa('node', [CLI, ...args], { cwd: repoRoot, reject: false, timeout: 120_000, env: { BPF_HARNESS_CACHE: join(dir, 'cache-n') } });
  const v = await run(['validate', join(suite, 'a.yaml')]);
  t.notOk(v.timedOut, 'validate ends');
  t.equal(v.exitCode, 2, 'validate: exit 2', { stderr: v.stderr });
  t.match(v.stderr, `${join(suite, 'kernels', 'fifo.yaml')}: error: not read as a recipe: the file is a FIFO, not a regular file`);
  t.match(v.stderr, `${join(suite, 'kernels', 'zero.yaml')}: error: not read as a recipe: the file is a character device, not a regular file`);
  t.match(v.stderr, `${join(suite, 'kernels', 'big.yaml')}: error: not read as a recipe: the file is ${50 * MAX_INPUT_BYTES} bytes, over the limit of 1 MiB`);
  t.match(v.stdout, /^1 scenario files: all valid; 0 recipe files found beside them, 3 with errors$/m);
  const l = await run(['list', join(suite, 'a.yaml')]);
  t.notOk(l.timedOut, 'list ends');
  t.equal(l.exitCode, 0, 'list: exit 0, the neighbours left unread', { stderr: l.stderr });
  const whole = await run(['validate', suite]);
  t.notOk(whole.timedOut, 'validate of the folder ends');
  t.equal(whole.exitCode, 2);
  t.equal(whole.stderr.split('\n').filter((x) => x.includes('fifo.yaml: error')).length, 1, 'walked as a scenario, the FIFO is named once');
  t.match(whole.stderr, `${join(suite, 'kernels', 'fifo.yaml')}: error: the file is a FIFO, not a regular file`);
});

t.test('readInputFile: regular files only, checked before opening, and no further than the limit', async (t) => {
  const fifo = join(dir, 'pipe');
  await execa('mkfifo', [fifo]);
  t.throws(() => readInputFile(fifo), { fault: 'not-regular', message: 'is a FIFO, not a regular file' }, 'a FIFO: no open, which would block');
  t.throws(() => readInputFile('/dev/zero'), { fault: 'not-regular', message: 'is a character device, not a regular file' });
  t.throws(() => readInputFile(dir), { fault: 'not-regular', message: 'is a directory, not a regular file' });
  t.throws(() => readInputFile(join(dir, 'nope')), { fault: 'missing', message: 'cannot be read (ENOENT)' });
  const small = yamlOfSize('limit.txt', '', 100);
  t.equal(readInputFile(small, 100).length, 100, 'exactly at the limit');
  t.throws(() => readInputFile(small, 99), { fault: 'too-big', message: 'is 100 bytes, over the limit of 99 bytes (99 bytes)' });
  const linked = join(dir, 'linked.yaml');
  symlinkSync(fifo, linked);
  t.throws(() => readInputFile(linked), { fault: 'not-regular', message: 'is a FIFO, not a regular file' }, 'through a symlink too');
});

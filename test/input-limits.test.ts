// Limits on what users hand the harness: scenario and recipe files over 1 MiB are refused
// before parsing, naming the file; at most 50 problems of one file are listed.
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { MAX_PROBLEMS_PER_FILE } from '../common/errors.js';
import { loadScenario } from '../harness/scenario/load.js';
import { loadYamlFile, MAX_INPUT_BYTES } from '../common/yaml-file.js';
import { scenarioSchema } from '../harness/scenario/schema.js';
import { loadRecipeFile } from '../kernels/recipe-load.js';
import { badInput } from './helpers/bad-input.js';
import { cli } from './helpers/cli.js';

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

t.test('a file with no end (a device) is read no further than the limit', async (t) => {
  const e = badInput(() => loadYamlFile('/dev/zero', () => scenarioSchema(), { schemaRef: 'scenarios/schema.json' }));
  t.match(e.message, '/dev/zero: error: the file is more than 1 MiB, over the limit');
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

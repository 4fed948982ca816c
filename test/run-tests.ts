// Runs the node-tap suite over the compiled tests and ends with the plain
// "N passed, N failed" line CI reads (one count per subtest of each test file).
import { execa } from 'execa';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Parser, type Result } from 'tap-parser';
import { repoRoot } from '../common/paths.js';

const dir = join(repoRoot, 'dist', 'test');
const only = process.argv.slice(2);
const files = (only.length ? only : readdirSync(dir, { recursive: true }) as string[])
  .map(String)
  .filter((f) => f.endsWith('.test.js'))
  .sort()
  .map((f) => (f.startsWith('/') || f.startsWith('dist/') ? f : join('dist', 'test', f)));

let passed = 0;
let failed = 0;
let skipped = 0;
const failures: string[] = [];
const parser = new Parser();
parser.on('child', (file: Parser) => {
  file.on('assert', (r: Result) => {
    if (r.skip || r.todo) skipped++;
    else if (r.ok) passed++;
    else {
      failed++;
      failures.push(`${file.name}: ${r.name}`);
    }
  });
});

const tap = execa('npx', ['tap', '--disable-coverage', '--reporter=tap', '--timeout=1800', '--jobs=2', ...files], {
  cwd: repoRoot, reject: false, stdout: 'pipe', stderr: 'inherit',
});
tap.stdout!.on('data', (d: Buffer) => {
  process.stdout.write(d);
  parser.write(d);
});
const r = await tap;
parser.end();
if (failures.length) process.stdout.write(`\nfailed:\n${failures.map((f) => `  ${f}`).join('\n')}\n`);
process.stdout.write(`\n${passed} passed, ${failed} failed, ${skipped} skipped\n`);
process.exitCode = failed > 0 || r.exitCode !== 0 ? 1 : 0;

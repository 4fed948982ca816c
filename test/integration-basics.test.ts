// Boots a real debian-6.12 guest under QEMU and runs the shipped basics scenarios
// through the CLI, as the README tells a user to.
import t from 'tap';
import { readFileSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Parser } from 'tap-parser';
import { cli, fixture, outDir } from './helpers/cli.js';

t.test('scenarios/basics pass on debian-6.12 with the TAP reporter', async (t) => {
  const out = outDir();
  const r = await cli(['run', 'scenarios/basics', '--kernel', 'debian-6.12', '--reporter', 'tap', '--out', out]);
  t.equal(r.exitCode, 0, 'exit 0', { output: r.all });
  const results = Parser.parse(r.stdout);
  const points = results.filter((l) => Array.isArray(l) && l[0] === 'assert').map((l) => (l as unknown[])[1] as { ok: boolean; name: string });
  t.ok(points.length >= 6, `${points.length} test points`);
  t.ok(points.every((p) => p.ok), 'every point ok');
  t.match(r.stdout, /^1\.\.\d+$/m, 'plan line');
  // Artifacts: plan, results, console log, a verifier log per load step.
  t.ok(existsSync(join(out, 'plan.json')), 'plan.json');
  const run = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
  t.equal(run.scenarios.length, points.length, 'results.json has every scenario');
  t.match(run.kernels, [{ name: 'debian-6.12', arch: 'x86_64', source: 'debian-image', release: /^6\.12\.\d+\+deb\d+-amd64$/, origin: /linux-image-6\.12/ }], 'the kernel as planned, and its release as booted');
  const kdir = join(out, 'debian-6_12');
  t.ok(existsSync(join(kdir, 'guest-1', 'console.log')), 'console log kept');
  t.match(readFileSync(join(kdir, 'scenarios_basics_uninit-register', 'load.verifier.log'), 'utf8'), /R3 !read_ok/, 'verifier log kept');
  t.ok(readdirSync(kdir).length >= 6);
});

t.test('a wrong expectation fails with the pattern, the stop line and a diff', async (t) => {
  const r = await cli(['run', fixture('scenarios', 'wrong-expectation.yaml'), '--out', outDir(), '-q']);
  t.equal(r.exitCode, 1, 'exit 1', { output: r.all });
  t.match(r.stdout, /FAIL .*wrong-expectation\.yaml \[debian-6\.12\]/);
  t.match(r.stdout, /errno: expected EPERM, got EACCES/);
  t.match(r.stdout, /"R4 !read_ok"/, 'names the failing pattern');
  t.match(r.stdout, /stopped at line \d+/, 'says where matching stopped');
  t.match(r.stdout, /R3 !read_ok/, 'shows the log');
});

t.test('a malformed scenario exits 2 naming file:line:col and boots nothing', async (t) => {
  const t0 = Date.now();
  const r = await cli(['run', fixture('scenarios', 'malformed.yaml'), '--out', outDir()]);
  t.equal(r.exitCode, 2, 'exit 2', { output: r.all });
  t.match(r.stderr, /malformed\.yaml:9:5: error: unknown key "exepct"/);
  t.notMatch(r.all, /booting|at .*\.js:\d+/, 'no boot, no stack trace');
  t.ok(Date.now() - t0 < 60000);
});

t.test('an unknown kernel exits 2 listing the known ones', async (t) => {
  const r = await cli(['run', 'scenarios/basics', '--kernel', 'no-such-kernel', '--out', outDir()]);
  t.equal(r.exitCode, 2, 'exit 2', { output: r.all });
  t.match(r.stderr, /unknown kernel "no-such-kernel"/);
  t.match(r.stderr, /debian-6\.12/);
});

t.test('--kernel takes a recipe file; expect_by_kernel follows the recipe name', async (t) => {
  const out = outDir();
  const r = await cli(['run', 'scenarios/basics/xdp-unchecked-read.yaml', '--kernel', 'kernels/debian-6.1.yaml', '--reporter', 'json', '--out', out, '-q']);
  t.equal(r.exitCode, 0, 'exit 0', { output: r.all });
  const run = JSON.parse(r.stdout);
  t.equal(run.scenarios[0].kernel, 'debian-6.1');
  t.equal(run.scenarios[0].outcome, 'pass');
  // The 6.1 override's pattern, which 6.12 never prints, is what matched.
  t.match(run.scenarios[0].steps[0].log, 'R1_w=pkt(off=0,r=0,imm=0)');
});

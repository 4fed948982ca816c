// report.html in a real headless Chromium (Debian's chromium): the page, written from
// results holding real checker output on real verifier logs (the bpftool fixtures,
// recorded on the development host, see test/fixtures/bpftool/README.md), renders the
// outcome table, its filters and a diff2html diff of a golden, fetches nothing, and its
// screenshot is kept with the test's artifacts.
import t from 'tap';
import { execa } from 'execa';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkGolden, checkLoad } from '../harness/expect/check.js';
import { normalizeLog } from '../harness/expect/normalize.js';
import { parseLoadallOutput } from '../harness/bpftool/loadall-output.js';
import { htmlReport } from '../harness/reporters/html.js';
import type { RunResult, StepResult } from '../harness/results/model.js';
import { repoRoot } from '../common/paths.js';
import { cli } from './helpers/cli.js';

const realLog = (name: string) => normalizeLog(parseLoadallOutput(readFileSync(join(repoRoot, 'test/fixtures/bpftool', name), 'utf8')).combinedLog);
const step = (id: string, extra: Partial<StepResult>): StepResult => ({ id, kind: 'load', outcome: 'pass', durationMs: 100, failures: [], artifacts: [], ...extra });

function run(): RunResult {
  const log = realLog('uninit_reg.txt');
  const golden = checkGolden(log.replace('R2 !read_ok', 'R3 !read_ok'), log)!;
  const wrong = checkLoad({ loaded: true, log: ['func#0 @0', 'invalid access to packet'] }, { loaded: false, errno: 'EACCES', log });
  return {
    startedAt: '2026-11-28T17:00:00.000Z', durationMs: 4200, target: 'qemu', accel: 'tcg', outDir: 'out/run-demo', scenarios: [
      { file: 'basics/xdp-pass.yaml', name: 'xdp pass', kernel: 'debian-6.12', outcome: 'pass', durationMs: 900, steps: [step('load', { loaded: true, log: realLog('xdp_pass.txt') })] },
      { file: 'basics/uninit.yaml', name: 'uninit read <r2> & "quotes"', kernel: 'debian-6.12', outcome: 'fail', durationMs: 800,
        steps: [step('load', { outcome: 'fail', loaded: false, errno: 'EACCES', log, failures: [...wrong, golden] })] },
      { file: 'token/x.yaml', name: 'token load', kernel: 'debian-6.1', outcome: 'skip', durationMs: 0, steps: [], reason: 'requires CONFIG_BPF_TOKEN=y' },
      { file: 'basics/xdp-pass.yaml', name: 'xdp pass', kernel: 'debian-6.1', outcome: 'pass', durationMs: 1000, steps: [step('load', { loaded: true, log: realLog('xdp_pass.txt') })] },
    ],
  };
}

const CHROMIUM = ['--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars'];

t.test('report.html in headless Chromium: the table, the filters, a diff; nothing fetched', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'report-html-'));
  const page = join(dir, 'report.html');
  writeFileSync(page, htmlReport(run()));
  const html = readFileSync(page, 'utf8');
  t.notMatch(html, /(src|href)=["']?(https?:)?\/\//, 'no network URL anywhere: self-contained');
  t.notMatch(html, /uninit read <r2>/, 'text is escaped');

  // --dump-dom prints the DOM once the page's script has run.
  const dom = await execa('chromium', [...CHROMIUM, '--dump-dom', `file://${page}`], { reject: false, timeout: 60000 });
  t.equal(dom.exitCode, 0, 'chromium ran', { stderr: dom.stderr.slice(-2000) });
  const rows = [...dom.stdout.matchAll(/<tr data-outcome="(\w+)" data-kernel="([^"]+)"/g)].map((m) => `${m[1]} ${m[2]}`);
  t.same(rows, ['pass debian-6.12', 'fail debian-6.12', 'skip debian-6.1', 'pass debian-6.1'], 'a row per scenario and kernel');
  t.match(dom.stdout, /<input type="checkbox" data-filter="kernel" value="debian-6\.1" checked="">/, 'a kernel filter');
  t.match(dom.stdout, /<input type="checkbox" data-filter="outcome" value="fail" checked="">/, 'an outcome filter');
  t.match(dom.stdout, /class="d2h-file-wrapper"/, 'a diff2html diff (the golden)');
  t.match(dom.stdout, /<del>R3<\/del>|d2h-del[^>]*>[\s\S]{0,400}R3 !read_ok/, 'with the golden\'s line');
  t.match(dom.stdout, /expected pattern: <code>invalid access to packet<\/code>/, 'the expectation that failed');

  const shot = join(dir, 'report.png');
  const s = await execa('chromium', [...CHROMIUM, `--screenshot=${shot}`, '--window-size=1400,1600', `file://${page}`], { reject: false, timeout: 60000 });
  t.equal(s.exitCode, 0, 'screenshot taken', { stderr: s.stderr.slice(-2000) });
  t.ok(existsSync(shot) && statSync(shot).size > 10000, `screenshot kept with the test's artifacts: ${shot}`);
});

t.test('report html RESULTS.json... renders saved runs, shards merged', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'report-html-cli-'));
  const r = run();
  const one = join(dir, 'a', 'results.json');
  const two = join(dir, 'b', 'results.json');
  for (const [f, scenarios] of [[one, r.scenarios.slice(0, 2)], [two, r.scenarios.slice(2)]] as const) {
    await execa('mkdir', ['-p', join(f, '..')]);
    writeFileSync(f, JSON.stringify({ ...r, scenarios }));
  }
  const out = join(dir, 'merged.html');
  const c = await cli(['report', 'html', one, two, '-o', out]);
  t.equal(c.exitCode, 0, 'exit 0', { output: c.all });
  const html = readFileSync(out, 'utf8');
  t.equal([...html.matchAll(/<tr data-outcome=/g)].length, 4, 'both shards');
  t.match(html, /<title>bpf-harness report \(2 results files\): 2 passed, 1 failed, 1 skipped, 0 errors/);
});

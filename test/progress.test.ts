// The progress renderers on events made here: lines (CI, pipes) print each phase change
// and at most one heartbeat per piece of work every 30 s; json writes one event a line;
// auto picks bars only for a terminal outside CI. The renderers under a real terminal
// and in a real run: test/integration-progress.test.ts.
import t from 'tap';
import { Writable } from 'node:stream';
import type { ProgressEvent } from '../common/progress.js';
import { emit, setQuiet } from '../common/progress.js';
import { HEARTBEAT_MS, linesRenderer } from '../harness/cli/progress/lines.js';
import { chooseMode, startProgress } from '../harness/cli/progress/render.js';

const build = (steps: number, elapsedMs: number, phase: 'start' | 'update' | 'end' = 'update'): ProgressEvent =>
  ({ type: 'build', phase, what: 'building k', steps, expected: 2000, elapsedMs, etaMs: steps ? (elapsedMs * (2000 - steps)) / steps : undefined });

t.test('lines: a line per phase change, a heartbeat at most every 30 s per piece of work', async (t) => {
  const out: string[] = [];
  let now = 0;
  const render = linesRenderer((s) => out.push(s), () => now);
  render(build(0, 0, 'start'));
  t.same(out, ['bpf-harness: building k: ~2000 steps expected\n']);
  // An update a second for 95 s: three heartbeats (30, 60, 90 s after the first update).
  for (let s = 1; s <= 95; s++) {
    now = s * 1000;
    render(build(s * 10, now));
  }
  const beats = out.slice(1);
  t.equal(beats.length, 3, 'three heartbeats in 95 s of updates');
  t.match(beats[0], /^bpf-harness: building k: 310\/~2000 steps \(16%\), 0m31s ~2m\d\ds left\n$/);
  render(build(960, 96000, 'end'));
  render({ type: 'note', text: 'a note' });
  t.equal(out.at(-1), 'bpf-harness: a note\n', 'the end of a build says nothing more; a note is a line');
  t.ok(HEARTBEAT_MS <= 30000);
});

t.test('lines: scenarios are counted, not listed (the reporter lists them)', async (t) => {
  const out: string[] = [];
  let now = Date.now();
  const render = linesRenderer((s) => out.push(s), () => now);
  render({ type: 'run', phase: 'start', scenarios: 3 });
  render({ type: 'scenario', phase: 'start', file: 'a.yaml', kernel: 'k' });
  render({ type: 'scenario', phase: 'end', file: 'a.yaml', kernel: 'k', outcome: 'pass' });
  t.same(out, [], 'nothing within 30 s');
  now += HEARTBEAT_MS + 1;
  render({ type: 'scenario', phase: 'end', file: 'b.yaml', kernel: 'k', outcome: 'fail' });
  t.match(out, [/^bpf-harness: scenarios: 2\/3 done, 1 failed, \d+s\n$/], 'against the planned count');
});

/** A stream that keeps what is written, a terminal or not. */
function sink(isTTY: boolean): NodeJS.WriteStream & { text: () => string } {
  const chunks: string[] = [];
  const w = new Writable({ write: (c, _e, cb) => (chunks.push(c.toString()), cb()) }) as unknown as NodeJS.WriteStream & { text: () => string };
  Object.assign(w, { isTTY, columns: 120, text: () => chunks.join('') });
  return w;
}

t.test('json: one event a line, each with its type and time', async (t) => {
  const s = sink(false);
  const stop = startProgress('json', s);
  emit({ type: 'boot', phase: 'start', kernel: 'k', mode: 'cold' });
  emit({ type: 'note', text: 'hello' });
  stop();
  const lines = s.text().trim().split('\n').map((l) => JSON.parse(l) as { type: string; time: string });
  t.same(lines.map((l) => l.type), ['boot', 'note']);
  t.ok(lines.every((l) => !Number.isNaN(Date.parse(l.time))));
});

t.test('--quiet silences every renderer', async (t) => {
  const s = sink(false);
  const stop = startProgress('lines', s);
  setQuiet(true);
  emit({ type: 'note', text: 'not shown' });
  setQuiet(false);
  stop();
  t.equal(s.text(), '');
});

t.test('auto: bars on a terminal, lines in CI, for TERM=dumb and in pipes', async (t) => {
  t.equal(chooseMode('auto', sink(true), { TERM: 'xterm' }), 'bars');
  t.equal(chooseMode('auto', sink(true), { TERM: 'xterm', CI: 'true' }), 'lines');
  t.equal(chooseMode('auto', sink(true), { TERM: 'dumb' }), 'lines');
  t.equal(chooseMode('auto', sink(false), { TERM: 'xterm' }), 'lines');
  t.equal(chooseMode('json', sink(true), {}), 'json', 'a mode named is kept');
});

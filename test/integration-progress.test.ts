// Progress as a user sees it, on a real debian-6.12 guest: under a real terminal (tmux,
// read back with capture-pane) live bars that are gone when the run ends, leaving the
// report's lines; in a pipe, plain lines with no terminal codes; --progress json, one
// event a line. The renderers' logic on made-up events: test/progress.test.ts.
import t from 'tap';
import { execa } from 'execa';
import { randomUUID } from 'node:crypto';
import { CLI, cli, outDir } from './helpers/cli.js';
import { sleep } from './helpers/procs.js';
import { repoRoot } from '../common/paths.js';

const SCENARIO = 'scenarios/basics/uninit-register.yaml';

t.test('in a pipe: lines, no terminal codes; --progress json: NDJSON events', async (t) => {
  const plain = await cli(['run', SCENARIO, '--kernel', 'debian-6.12', '--out', outDir()]);
  t.equal(plain.exitCode, 0, { output: plain.all });
  t.match(plain.stderr, /^bpf-harness: guest ready over SSH in [\d.]+s/m);
  t.notMatch(plain.stderr, /\x1b/, 'no escape sequences');
  const json = await cli(['run', SCENARIO, '--kernel', 'debian-6.12', '--out', outDir(), '--progress', 'json']);
  t.equal(json.exitCode, 0, { output: json.all });
  const events = json.stderr.trim().split('\n').map((l) => JSON.parse(l) as { type: string; phase?: string; time: string });
  const seen = events.map((e) => `${e.type}${e.phase ? ` ${e.phase}` : ''}`);
  for (const want of ['run start', 'boot start', 'boot end', 'scenario start', 'scenario end', 'run end']) t.ok(seen.includes(want), `a ${want} event`);
  t.ok(events.every((e) => !Number.isNaN(Date.parse(e.time))), 'each with its time');
  t.match(json.stdout, /1 passed, 0 failed/, 'stdout is the report, as without --progress');
});

t.test('under a terminal: live bars while the run goes, none left at the end', async (t) => {
  // A tmux server of its own, so no user's sessions are touched.
  const server = `bpf-harness-test-${randomUUID().slice(0, 8)}`;
  const tm = (...a: string[]) => execa('tmux', ['-L', server, ...a], { reject: false });
  t.teardown(() => tm('kill-server'));
  const out = outDir();
  // auto's choice on a terminal outside CI, whatever the environment the tests run in.
  const cmd = `cd ${repoRoot} && env -u CI TERM=xterm-256color node ${CLI} run ${SCENARIO} --kernel debian-6.12 --out ${out}; echo "EXIT=$?"; sleep 600`;
  const started = await tm('new-session', '-d', '-s', 'p', '-x', '160', '-y', '50', cmd);
  t.equal(started.exitCode, 0, 'tmux started', { stderr: started.stderr });
  const frames: string[] = [];
  let pane = '';
  for (let i = 0; i < 1500 && !/EXIT=\d+/.test(pane); i++) {
    pane = (await tm('capture-pane', '-p', '-t', 'p')).stdout;
    frames.push(pane);
    await sleep(100);
  }
  t.match(pane, /EXIT=0/, 'the run ended, exit 0', { pane });
  t.ok(frames.some((f) => /^booting debian-6\.12 \.\.\. \d/m.test(f) || /^scenarios \[.*\] \d\/1 done/m.test(f)), 'a bar was drawn while it ran', { frames: frames.length });
  t.match(pane, /1 passed, 0 failed/, "the report's lines are there");
  t.notMatch(pane, /^(booting debian-6\.12 \.\.\.|scenarios \[)/m, 'no bar is left');
  t.match(pane, /^bpf-harness: guest ready over SSH/m, 'the notes above where the bars were');
});

// Guarded children end with the harness however it ends: make (with the job it runs) when
// the harness is killed with -9, through the parent-death signal; and on an interrupt.
import t from 'tap';
import { execa } from 'execa';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { repoRoot } from '../common/paths.js';
import { sleep } from './helpers/procs.js';

/** Processes whose command line holds the marker. */
function withMarker(marker: string): number[] {
  return readdirSync('/proc').filter((d) => /^\d+$/.test(d)).flatMap((d) => {
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      if (/ Z /.test(stat.slice(stat.lastIndexOf(')')))) return [];
      return readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(marker) ? [Number(d)] : [];
    } catch {
      return [];
    }
  });
}

/** A sleep duration no other process has: 300 s and a random fraction. */
const uniqueSeconds = () => `300.${String(Math.random()).slice(2, 11)}`;

const dir = mkdtempSync(join(tmpdir(), 'bpf-harness-processes-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

/** A harness stand-in: starts `make` (whose one job sleeps for the marker's seconds) through spawnGuarded, then waits. */
function harnessWithMake(marker: string, signalSelf?: string) {
  // The marker is only in the job's command line, not in the stand-in's.
  const makefile = join(dir, `Makefile-${randomUUID()}`);
  // A plain command: make runs it itself (no shell), so the job is make's own child.
  writeFileSync(makefile, `all:\n\tsleep ${marker}\n`);
  const script = `
    import { spawnGuarded } from ${JSON.stringify(join(repoRoot, 'dist', 'common', 'processes.js'))};
    import { catchSignals } from ${JSON.stringify(join(repoRoot, 'dist', 'common', 'interrupt.js'))};
    catchSignals();
    const p = spawnGuarded('make', ['-f', ${JSON.stringify(makefile)}], 'TERM', { reject: false, stdin: 'ignore' });
    const r = await p;
    console.log('make ended', r.exitCode ?? r.signal);
    ${signalSelf ? '' : 'setInterval(() => {}, 1000);'}
  `;
  return execa('node', ['--input-type=module', '-e', script], { reject: false, all: true });
}

async function gone(marker: string): Promise<number[]> {
  let left = withMarker(marker);
  for (let i = 0; i < 50 && left.length; i++) {
    await sleep(100);
    left = withMarker(marker);
  }
  return left;
}

async function started(marker: string): Promise<boolean> {
  for (let i = 0; i < 100; i++) {
    if (withMarker(marker).length) return true;
    await sleep(100);
  }
  return false;
}

t.test('kill -9 of the harness: make gets SIGTERM and stops its job', async (t) => {
  const marker = uniqueSeconds();
  const h = harnessWithMake(marker);
  t.ok(await started(marker), 'the job runs');
  h.kill('SIGKILL');
  await h;
  t.same(await gone(marker), [], 'no make job left');
});

t.test('SIGTERM to the harness: make is stopped and the harness goes on to its end', async (t) => {
  const marker = uniqueSeconds();
  const h = harnessWithMake(marker, 'self');
  t.ok(await started(marker), 'the job runs');
  h.kill('SIGTERM');
  const r = await h;
  t.match(r.all, /make ended/, 'the harness saw make end and went on', { output: r.all });
  t.same(await gone(marker), [], 'no make job left');
});

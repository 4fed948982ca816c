// Bench: the guest pool. Scenarios per minute with --jobs 1 and --jobs 2 (guests reused,
// reset between scenarios; with 2 vCPUs each, and 1), and with --fresh (a guest per
// scenario: restored from the kernel's snapshot, and with --cold-boot booted), and the
// resident memory of each guest's QEMU, all measured in one run through the real CLI,
// the configurations interleaved round by round (these machines are noisy: read the ratios).
//   node dist/bench/guest-pool.js [--rounds N] [--kernel NAME] [PATH...]
import { execa } from 'execa';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { repoRoot } from '../common/paths.js';
import type { RunResult } from '../harness/results/model.js';
import { qemuWithTag } from '../test/helpers/procs.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { rounds: { type: 'string', default: '2' }, kernel: { type: 'string', default: 'debian-6.12' } },
});
const paths = positionals.length ? positionals : ['scenarios/basics', 'scenarios/privileges'];
const CLI = join(repoRoot, 'dist', 'harness', 'cli', 'main.js');

const configs: Record<string, string[]> = {
  'jobs 1, reused': ['--jobs', '1'],
  'jobs 2, reused': ['--jobs', '2'],
  'jobs 2, reused, 1 vCPU each': ['--jobs', '2', '--cpus', '1'],
  'jobs 1, fresh': ['--jobs', '1', '--fresh'],
  'jobs 1, fresh, cold boot': ['--jobs', '1', '--fresh', '--cold-boot'],
  'jobs 2, fresh': ['--jobs', '2', '--fresh'],
};

const rssKiB = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);

/** One run through the CLI; QEMU's resident memory sampled every 200 ms. */
async function once(flags: string[]): Promise<{ perMin: number; scenarios: number; peakRssMiB: number[] }> {
  const tag = randomUUID();
  const out = mkdtempSync(join(tmpdir(), 'bench-pool-'));
  const peak = new Map<number, number>();
  const sampler = setInterval(() => {
    for (const pid of qemuWithTag(tag)) {
      try {
        peak.set(pid, Math.max(peak.get(pid) ?? 0, rssKiB(pid)));
      } catch {
        /* exited meanwhile */
      }
    }
  }, 200);
  const t0 = Date.now();
  const r = await execa('node', [CLI, 'run', ...paths, '--kernel', values.kernel!, '--out', out, '-q', '--reporter', 'json', ...flags], {
    cwd: repoRoot, reject: false, env: { BPF_HARNESS_TEST_TAG: tag },
  });
  const wall = Date.now() - t0;
  clearInterval(sampler);
  if (r.exitCode !== 0) throw new Error(`run ${flags.join(' ')} failed (exit ${r.exitCode}):\n${r.stderr}\n${r.stdout.slice(-2000)}`);
  const run = JSON.parse(r.stdout) as RunResult;
  const ran = run.scenarios.filter((s) => s.outcome !== 'skip').length;
  return { perMin: (ran / wall) * 60000, scenarios: ran, peakRssMiB: [...peak.values()].map((k) => k / 1024) };
}

// Warm caches (kernel, image, objects, the snapshot) so the first measured run pays for nothing extra.
await once(['--jobs', '1']);

const rounds = Number(values.rounds);
const got: Record<string, { perMin: number[]; rss: number[]; scenarios: number }> = {};
for (let i = 0; i < rounds; i++) {
  const names = Object.keys(configs);
  // Rotate the order each round so drift in machine load falls on every configuration.
  for (const name of [...names.slice(i % names.length), ...names.slice(0, i % names.length)]) {
    const r = await once(configs[name]!);
    const g = (got[name] ??= { perMin: [], rss: [], scenarios: r.scenarios });
    g.perMin.push(r.perMin);
    g.rss.push(...r.peakRssMiB);
    process.stderr.write(`round ${i + 1}: ${name}: ${r.perMin.toFixed(1)} scenarios/min\n`);
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const base = median(got['jobs 1, reused']!.perMin);
console.log(`guest pool on ${values.kernel} (${paths.join(' ')}), ${rounds} rounds, medians:`);
console.log('| configuration | scenarios | scenarios/min | vs jobs 1 reused | peak QEMU RSS per guest |');
console.log('|---|---|---|---|---|');
for (const [name, g] of Object.entries(got)) {
  const pm = median(g.perMin);
  console.log(`| ${name} | ${g.scenarios} | ${pm.toFixed(1)} | ${(pm / base).toFixed(2)}x | ${median(g.rss).toFixed(0)} MiB (max ${Math.max(...g.rss).toFixed(0)}) |`);
}
const fresh = median(got['jobs 1, fresh']!.perMin);
console.log(`--fresh from snapshots: ${(fresh / median(got['jobs 1, fresh, cold boot']!.perMin)).toFixed(2)}x --fresh booting cold in this run`);

// Running kbuild: output to a log file, progress on stderr with an estimate from the
// previous build of the same kind (full or incremental) in the same output dir, the
// log's tail when it fails.
import { execa } from 'execa';
import { createWriteStream, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';

import { InfraError } from '../../common/errors.js';
import { cacheDir } from '../../common/paths.js';
import { spawnGuarded } from '../../common/processes.js';
import { progress } from '../../common/progress.js';

/** kbuild's quiet lines, one per build step: "  CC      kernel/fork.o". */
const STEP = /^ {2}[A-Z][A-Z0-9_-]* +\S/;

export const jobs = () => cpus().length + 1;

/** Environment for reproducible, ccache-friendly builds. */
export function buildEnv(): Record<string, string> {
  return {
    CCACHE_DIR: process.env.CCACHE_DIR ?? cacheDir('ccache'),
    KBUILD_BUILD_TIMESTAMP: 'bpf-harness',
    KBUILD_BUILD_USER: 'bpf-harness',
    KBUILD_BUILD_HOST: 'bpf-harness',
  };
}

export interface MakeOptions {
  cwd: string;
  log: string;
  /** For progress lines, e.g. "building scx-6.12". */
  label: string;
  /** A file remembering how many steps this kind of build took, for the estimate (stepsFile()). */
  stepsFile?: string;
}

const fmtTime = (ms: number) => `${Math.floor(ms / 60000)}m${String(Math.round((ms % 60000) / 1000)).padStart(2, '0')}s`;

/**
 * Where the step count of the last build of this kind in an O= dir is kept: a dir that
 * already holds a vmlinux builds incrementally, and a full build's count would make its
 * estimate minutes long for a build of seconds.
 */
export function stepsFile(odir: string): string {
  return join(odir, existsSync(join(odir, 'vmlinux')) ? '.bpf-harness-steps-incremental' : '.bpf-harness-steps');
}

/** "label: 120/~2150 steps (6%), 0m45s ~12m20s left", or without an expected count, steps and time only. */
export function progressLine(label: string, steps: number, expected: number | undefined, elapsedMs: number): string {
  const pct = expected ? Math.min(99, Math.round((100 * steps) / expected)) : undefined;
  const left = expected && steps > 0 ? ` ~${fmtTime((elapsedMs * Math.max(0, expected - steps)) / steps)} left` : '';
  return `${label}: ${steps}${expected ? `/~${expected}` : ''} steps${pct !== undefined ? ` (${pct}%)` : ''}, ${fmtTime(elapsedMs)}${left}`;
}

/** A build past this is stuck, not slow (a defconfig build on 2 cores takes about 1 hour). */
const MAKE_LIMIT_MS = 6 * 3_600_000;

/** Run make; returns the number of build steps it printed. */
export async function runMake(args: string[], opts: MakeOptions): Promise<number> {
  const log = createWriteStream(opts.log, { flags: 'a' });
  log.write(`$ make ${args.join(' ')}\n`);
  const expected = opts.stepsFile && existsSync(opts.stepsFile) ? Number(readFileSync(opts.stepsFile, 'utf8')) || undefined : undefined;
  const t0 = Date.now();
  let steps = 0;
  let partial = '';
  const tail: string[] = [];
  // make dies with the harness, and on SIGTERM stops the jobs it started.
  const p = spawnGuarded('make', args, 'TERM', { cwd: opts.cwd, env: buildEnv(), reject: false, all: true, buffer: false, stdin: 'ignore', timeout: MAKE_LIMIT_MS, killSignal: 'SIGTERM' } as const);
  p.all!.on('data', (d: Buffer) => {
    log.write(d);
    const lines = (partial + d.toString()).split('\n');
    partial = lines.pop() ?? '';
    for (const l of lines) {
      if (STEP.test(l)) steps++;
      tail.push(l);
    }
    if (tail.length > 200) tail.splice(0, tail.length - 200);
  });
  const ticker = setInterval(() => progress(progressLine(opts.label, steps, expected, Date.now() - t0)), 15000);
  const r = await p;
  clearInterval(ticker);
  await new Promise<void>((res) => log.end(res));
  if (r.exitCode !== 0) {
    const last = [...tail, partial].filter(Boolean).slice(-30).join('\n');
    const why = r.timedOut ? `did not finish in ${MAKE_LIMIT_MS / 3_600_000} hours and was stopped` : `failed (exit ${r.exitCode ?? r.signal})`;
    throw new InfraError(`${opts.label}: make ${args.join(' ')} ${why}\n--- last lines of the log ---\n${last}\n--- whole log: ${opts.log}`);
  }
  if (opts.stepsFile && steps > 0) writeFileSync(opts.stepsFile, String(steps));
  return steps;
}

/** `make -s O=odir ARGS` with its output returned, for quick queries (kernelrelease). */
export async function makeQuery(tree: string, odir: string, args: string[]): Promise<string> {
  const r = await execa('make', ['-s', '-C', tree, `O=${odir}`, ...args], { env: buildEnv() });
  return r.stdout.trim();
}


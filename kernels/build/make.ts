// Running kbuild: output to a log file, build progress events with the steps expected
// (the previous build of the same kind in the same output dir, else the last full build
// of the same .config anywhere, else an estimate from the config's size), the log's tail
// when it fails.
import { execa } from 'execa';
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';

import { InfraError } from '../../common/errors.js';
import { cacheDir } from '../../common/paths.js';
import { spawnGuarded } from '../../common/processes.js';
import { emit } from '../../common/progress.js';

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
    // Generated lists come out the same everywhere (the selftests' tests.h is sorted: test_progs' test numbers).
    LC_ALL: 'C',
  };
}

export interface MakeOptions {
  cwd: string;
  log: string;
  /** For progress, e.g. "building scx-6.12". */
  label: string;
  /** The O= dir of a kernel build, whose steps are counted against an expected total (expectedSteps). */
  odir?: string;
}

/**
 * Where the step count of the last build of this kind in an O= dir is kept: a dir that
 * already holds a vmlinux builds incrementally, and a full build's count would make its
 * estimate minutes long for a build of seconds.
 */
export function stepsFile(odir: string): string {
  return join(odir, existsSync(join(odir, 'vmlinux')) ? '.bpf-harness-steps-incremental' : '.bpf-harness-steps');
}

/**
 * Build steps per option a .config enables (=y or =m): 2156 steps for 837 and 3289 for
 * 1422 in two full 6.12 builds here (2.58 and 2.31), so a fresh config gets a total too.
 */
const STEPS_PER_OPTION = 2.45;

/** A full build's count for a .config, kept in the cache by its content (another O= dir, a rebuilt cache entry). */
const configStepsFile = (config: string) => cacheDir('build-steps', createHash('sha256').update(config).digest('hex').slice(0, 16));

/** The steps a build in odir is expected to take, and where that came from; undefined for an incremental build never seen. */
export function expectedSteps(odir: string): { steps: number; from: 'this dir' | 'this config' | 'the config size' } | undefined {
  const own = stepsFile(odir);
  const read = (f: string) => (existsSync(f) ? Number(readFileSync(f, 'utf8')) || undefined : undefined);
  const mine = read(own);
  if (mine) return { steps: mine, from: 'this dir' };
  // An incremental build's size depends on the change, not the config.
  if (own.endsWith('-incremental')) return undefined;
  const configFile = join(odir, '.config');
  if (!existsSync(configFile)) return undefined;
  const config = readFileSync(configFile, 'utf8');
  const same = read(configStepsFile(config));
  if (same) return { steps: same, from: 'this config' };
  const options = config.split('\n').filter((l) => /^CONFIG_\w+=[ym]$/.test(l)).length;
  return options ? { steps: Math.round(options * STEPS_PER_OPTION), from: 'the config size' } : undefined;
}

/** What a finished build in odir teaches the next estimates: its own kind's count, and a full build's for its config. */
function rememberSteps(odir: string, file: string, steps: number): void {
  writeFileSync(file, String(steps));
  const configFile = join(odir, '.config');
  if (file.endsWith('-incremental') || !existsSync(configFile)) return;
  mkdirSync(cacheDir('build-steps'), { recursive: true });
  writeFileSync(configStepsFile(readFileSync(configFile, 'utf8')), String(steps));
}

/** The time left at the pace so far, once there is a pace. */
export const etaMs = (steps: number, expected: number | undefined, elapsedMs: number) =>
  expected && steps > 0 ? (elapsedMs * Math.max(0, expected - steps)) / steps : undefined;

/** Build progress events at most this often (a bar moves smoothly; NDJSON stays short). */
const UPDATE_MS = 1000;

/** A build past this is stuck, not slow (a defconfig build on 2 cores takes about 1 hour). */
const MAKE_LIMIT_MS = 6 * 3_600_000;

/** Run make; returns the number of build steps it printed. */
export async function runMake(args: string[], opts: MakeOptions): Promise<number> {
  const log = createWriteStream(opts.log, { flags: 'a' });
  log.write(`$ make ${args.join(' ')}\n`);
  // Decided before make runs: the build itself writes the vmlinux that makes the next one incremental.
  const counted = opts.odir ? stepsFile(opts.odir) : undefined;
  const expected = opts.odir ? expectedSteps(opts.odir)?.steps : undefined;
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
  const event = (phase: 'start' | 'update' | 'end' | 'failed') => {
    const elapsedMs = Date.now() - t0;
    emit({ type: 'build', phase, what: opts.label, steps, expected, elapsedMs, etaMs: phase === 'update' ? etaMs(steps, expected, elapsedMs) : undefined, ...(phase === 'start' ? { log: opts.log } : {}) });
  };
  if (opts.odir) event('start');
  const ticker = opts.odir ? setInterval(() => event('update'), UPDATE_MS) : undefined;
  const r = await p;
  clearInterval(ticker);
  if (opts.odir) event(r.exitCode === 0 ? 'end' : 'failed');
  await new Promise<void>((res) => log.end(res));
  if (r.exitCode !== 0) {
    const last = [...tail, partial].filter(Boolean).slice(-30).join('\n');
    const why = r.timedOut ? `did not finish in ${MAKE_LIMIT_MS / 3_600_000} hours and was stopped` : `failed (exit ${r.exitCode ?? r.signal})`;
    throw new InfraError(`${opts.label}: make ${args.join(' ')} ${why}\n--- last lines of the log ---\n${last}\n--- whole log: ${opts.log}`);
  }
  if (opts.odir && counted && steps > 0) rememberSteps(opts.odir, counted, steps);
  return steps;
}

/** `make -s O=odir ARGS` with its output returned, for quick queries (kernelrelease). */
export async function makeQuery(tree: string, odir: string, args: string[]): Promise<string> {
  const r = await execa('make', ['-s', '-C', tree, `O=${odir}`, ...args], { env: buildEnv() });
  return r.stdout.trim();
}


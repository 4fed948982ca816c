// A cache directory the harness cannot use is one clear error naming it, what failed
// and what to do: exit 2 (the user's settings, see common/writable-dir.ts), no stack.
// Root ignores permissions, so the permission cases run the CLI as nobody (setpriv);
// a path beneath a regular file (ENOTDIR) stops root too.
import { execa } from 'execa';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { repoRoot } from '../common/paths.js';
import { CLI } from './helpers/cli.js';

const NOBODY = 65534;
const root = mkdtempSync(join(tmpdir(), 'cache-dir-'));
// nobody must reach the dirs below (mkdtemp makes 0700).
chmodSync(root, 0o755);
t.teardown(() => rmSync(root, { recursive: true, force: true }));

const file = join(root, 'a-file');
writeFileSync(file, 'not a directory\n');
const readOnly = join(root, 'read-only');
mkdirSync(readOnly, { mode: 0o755 });
// Artifacts (--out) somewhere anyone can write, so that only the cache is in the way.
const out = join(root, 'out');
mkdirSync(out);
chmodSync(out, 0o777);

const SCENARIO = join('scenarios', 'basics', 'loops.yaml');
const COMMANDS: [string, string[]][] = [
  ['run', ['run', SCENARIO, '--kernel', 'debian-6.12', '--out', join(out, 'run')]],
  ['kernel build', ['kernel', 'build', 'debian-6.12']],
];

interface Result {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** The CLI with exactly this environment (nothing inherited), as root or as nobody. */
async function cli(args: string[], env: Record<string, string>, asNobody = false): Promise<Result> {
  const node = [process.execPath, CLI, ...args];
  // tap's process tracking puts hooks in NODE_OPTIONS that write to the repo's .tap/ on
  // exit, which nobody may not: drop them for that run.
  const cmd = asNobody ? ['setpriv', `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', 'env', '-u', 'NODE_OPTIONS', ...node] : node;
  const r = await execa(cmd[0]!, cmd.slice(1), {
    cwd: repoRoot, reject: false, timeout: 60_000, extendEnv: false, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
  });
  return { exitCode: r.exitCode ?? -1, stdout: r.stdout, stderr: r.stderr };
}

// A subtest's t (the last overload of t.test takes just the callback).
type T = Parameters<Parameters<typeof t.test>[0]>[0];

function clearError(t: T, r: Result, what: string, cacheDir: string, code: RegExp) {
  t.equal(r.exitCode, 2, `${what}: exit 2`, { stderr: r.stderr });
  const lines = r.stderr.trimEnd().split('\n');
  t.equal(lines.length, 2, `${what}: one error line and one hint line`, { stderr: r.stderr });
  t.match(lines[0], `cannot use the cache directory ${cacheDir} (from `, `${what}: names the cache directory`);
  t.match(lines[0], code, `${what}: says what failed`);
  t.match(lines[1] ?? '', /^hint: set BPF_HARNESS_CACHE \(or XDG_CACHE_HOME\) to a directory uid \d+ can write, or \S/, `${what}: says what to do`);
  t.notMatch(r.stderr, /^\s+at /m, `${what}: no stack frames`);
  t.notMatch(r.stderr, /internal error/i, `${what}: no "internal error"`);
  t.equal(r.stdout, '', `${what}: nothing on stdout`);
}

t.test('a cache path beneath a regular file (ENOTDIR), as any user', async (t) => {
  const cache = join(file, 'cache');
  for (const [name, args] of COMMANDS) {
    const r = await cli(args, { BPF_HARNESS_CACHE: cache, HOME: root });
    clearError(t, r, name, cache, new RegExp(`cannot create it: ${file} is a file, not a directory \\(ENOTDIR\\)`));
    t.match(r.stderr, `remove or rename the file ${file}`, `${name}: the fix names the file`);
  }
  t.ok(statSync(file).isFile(), 'the file is left as it was');
});

t.test('a cache path that is a regular file', async (t) => {
  const r = await cli(['kernel', 'build', 'debian-6.12'], { BPF_HARNESS_CACHE: file, HOME: root });
  clearError(t, r, 'kernel build', file, /it exists and is not a directory/);
});

t.test('the cache named by XDG_CACHE_HOME, beneath a file', async (t) => {
  const r = await cli(['kernel', 'build', 'debian-6.12'], { XDG_CACHE_HOME: join(file, 'xdg'), HOME: root });
  clearError(t, r, 'kernel build', join(file, 'xdg', 'bpf-harness'), /ENOTDIR/);
  t.match(r.stderr, '(from XDG_CACHE_HOME/bpf-harness)', 'says which setting chose it');
});

t.test('kernel list only reads the cache: it still lists the recipes', async (t) => {
  const r = await cli(['kernel', 'list'], { BPF_HARNESS_CACHE: join(file, 'cache'), HOME: root });
  t.equal(r.exitCode, 0, 'exit 0', { stderr: r.stderr });
  t.match(r.stdout, /^debian-6\.12 +debian-image/m);
  t.notMatch(r.stderr, /^\s+at /m, 'no stack frames');
});

/** Why the CLI cannot run as nobody here, or false. */
async function nobodyUnavailable(): Promise<string | false> {
  if (process.getuid?.() !== 0) return 'needs root, to run the CLI as nobody with setpriv';
  const probe = await cli(['--help'], {}, true).catch((e: Error) => ({ exitCode: -1, stdout: '', stderr: e.message }));
  return probe.exitCode === 0 ? false : `nobody cannot run the CLI from ${repoRoot}: ${probe.stderr.split('\n')[0]}`;
}

t.test('an unwritable cache, as an unprivileged user', { skip: await nobodyUnavailable() }, async (t) => {
  const cache = join(readOnly, 'cache');
  for (const [name, args] of COMMANDS) {
    const r = await cli(args, { BPF_HARNESS_CACHE: cache, HOME: '/nonexistent' }, true);
    clearError(t, r, `${name} as nobody`, cache, new RegExp(`cannot create it: permission denied \\(EACCES\\) in ${readOnly}`));
    t.match(r.stderr, `or make ${readOnly} readable and writable for uid ${NOBODY}`, `${name} as nobody: the fix names the directory`);
  }
  t.same(readdirSync(readOnly), [], 'nothing made in the read-only directory');

  // An existing cache directory owned by root.
  const r = await cli(['kernel', 'build', 'debian-6.12'], { BPF_HARNESS_CACHE: readOnly, HOME: '/nonexistent' }, true);
  clearError(t, r, 'kernel build as nobody, existing cache', readOnly, /no read and write access to it: permission denied \(EACCES\)/);

  // No setting at all, and a home that does not exist: the default under ~/.cache.
  const d = await cli(['run', SCENARIO, '--kernel', 'debian-6.12', '--out', join(out, 'default')], { HOME: '/nonexistent' }, true);
  clearError(t, d, 'run as nobody, default cache', '/nonexistent/.cache/bpf-harness', /EACCES/);
  t.match(d.stderr, '(from the default, ~/.cache/bpf-harness)', 'says the default chose it');

  t.same(readdirSync(out), [], 'no artifacts directory made either: the cache check comes first');
  const l = await cli(['kernel', 'list'], { BPF_HARNESS_CACHE: cache, HOME: '/nonexistent' }, true);
  t.equal(l.exitCode, 0, 'kernel list as nobody: exit 0', { stderr: l.stderr });
});

t.test('an artifacts directory beneath a file is the same kind of error', async (t) => {
  const cache = join(root, 'cache');
  const r = await cli(['run', SCENARIO, '--kernel', 'debian-6.12', '--out', join(file, 'out')], { BPF_HARNESS_CACHE: cache, HOME: root });
  t.equal(r.exitCode, 2, 'exit 2', { stderr: r.stderr });
  t.match(r.stderr, `cannot use the artifacts directory ${join(file, 'out')}: cannot create it: ${file} is a file, not a directory (ENOTDIR)`);
  t.match(r.stderr, /\nhint: pass --out naming a directory/);
  t.notMatch(r.stderr, /^\s+at /m, 'no stack frames');
  t.ok(existsSync(cache), 'the cache check passed first (it made the cache directory)');
});

// mkdirSync loops at 100% CPU under /proc instead of failing: these would hang without the
// check (the CLI runs are killed after 60 s). A symlink counts by where it leads.
t.test('a cache or artifacts directory under /proc or /sys, named directly or through a symlink', async (t) => {
  const toSys = join(root, 'to-sys');
  symlinkSync('/sys/kernel', toSys);
  const toProc = join(root, 'to-proc');
  symlinkSync('/proc/self', toProc);
  const caches: [string, RegExp][] = [
    ['/proc/bpf-harness-test/cache', /: it is under \/proc, a kernel pseudo file system that keeps no files$/],
    [join(toSys, 'cache'), /: it is under \/sys \(it resolves to \/sys\/kernel\/cache\), a kernel pseudo file system/],
  ];
  for (const [cache, why] of caches) {
    for (const [name, args] of COMMANDS) {
      const r = await cli(args, { BPF_HARNESS_CACHE: cache, HOME: root });
      clearError(t, r, `${name}, cache ${cache}`, cache, why);
      t.match(r.stderr, 'use a directory on a disk, outside /proc and /sys', `${name}, cache ${cache}: the fix`);
    }
  }
  const cache = join(root, 'cache');
  for (const out of ['/proc/bpf-harness-test/out', join(toProc, 'out')]) {
    const r = await cli(['run', SCENARIO, '--kernel', 'debian-6.12', '--out', out], { BPF_HARNESS_CACHE: cache, HOME: root });
    t.equal(r.exitCode, 2, `--out ${out}: exit 2`, { stderr: r.stderr });
    t.match(r.stderr, new RegExp(`^cannot use the artifacts directory ${out}: it is under /proc`), `--out ${out}: names the directory and why`);
    t.match(r.stderr, /\nhint: pass --out naming a directory .* or use a directory on a disk, outside \/proc and \/sys/, `--out ${out}: says what to do`);
  }
});

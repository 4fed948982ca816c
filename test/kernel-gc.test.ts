// kernel gc on a cache of its own: it leaves what a running harness leases and what is
// being published (its lock held), and removes the rest, scratch of dead runs included.
import t from 'tap';
import { execa } from 'execa';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import lockfile from 'proper-lockfile';
import { repoRoot } from '../common/paths.js';
import { cli } from './helpers/cli.js';
import { sleep } from './helpers/procs.js';
import { ownCache } from './helpers/own-cache.js';

t.test('gc --all keeps leased, locked and live scratch entries; removes the rest', async (t) => {
  const cache = mkdtempSync(join(tmpdir(), 'bpf-harness-gc-'));
  t.teardown(() => rmSync(cache, { recursive: true, force: true }));
  const env = { BPF_HARNESS_CACHE: cache };
  const built = join(cache, 'kernels', 'built');
  const entry = (name: string) => {
    mkdirSync(join(built, name), { recursive: true });
    writeFileSync(join(built, name, 'bzImage'), 'x');
    return join(built, name);
  };
  const leased = entry('aaaa');
  const unused = entry('bbbb');
  const deadScratch = entry('cccc.tmp-999999999');
  const liveScratch = entry(`dddd.tmp-${process.pid}`);
  const publishing = entry('eeee');
  const buildDir = join(cache, 'build', 'linux-x-1234');
  mkdirSync(buildDir, { recursive: true });

  // A running harness holding a lease on one entry, as buildKernel takes it.
  const holder = execa('node', ['--input-type=module', '-e', `
    import { lease } from ${JSON.stringify(join(repoRoot, 'dist', 'common', 'lease.js'))};
    lease(${JSON.stringify(leased)});
    console.log('leased');
    setInterval(() => {}, 1000);
  `], { env, reject: false });
  await new Promise<void>((r) => holder.stdout!.once('data', () => r()));
  // Another one publishing an entry: the lock publishOnce takes (proper-lockfile, in the cache's locks/).
  mkdirSync(join(cache, 'locks'), { recursive: true });
  const lockFile = join(cache, 'locks', publishing.replace(/[^A-Za-z0-9]+/g, '_'));
  writeFileSync(lockFile, '');
  const release = await lockfile.lock(lockFile, { stale: 60000, update: 10000 });

  const r = await cli(['kernel', 'gc', '--all'], env);
  t.equal(r.exitCode, 0, 'exit 0', { output: r.all });
  t.ok(existsSync(leased), 'the leased kernel is kept');
  t.match(r.stdout, new RegExp(`kept ${leased}: a running harness uses it`));
  t.ok(existsSync(publishing), 'the entry being published is kept');
  t.match(r.stdout, /being written now/);
  t.ok(existsSync(liveScratch), "a live run's scratch is kept");
  t.notOk(existsSync(unused), 'an unused kernel is removed');
  t.notOk(existsSync(deadScratch), "a dead run's scratch is removed");
  t.notOk(existsSync(buildDir), '--all: build directories too');

  // Once the holder is gone, its lease counts for nothing.
  holder.kill('SIGKILL');
  await holder;
  await release();
  await sleep(100);
  const again = await cli(['kernel', 'gc', '--all'], env);
  t.equal(again.exitCode, 0, { output: again.all });
  t.notOk(existsSync(leased), 'removed once its holder died');
  t.notOk(existsSync(publishing), 'removed once the lock was released');
});

t.test('snapshots go with their kernel: gone kernel, unreadable or dead save removed; --all removes every one', async (t) => {
  const cache = ownCache(t);
  const kernel = join(cache, 'kernels', 'built', 'aaaa', 'bzImage');
  mkdirSync(join(cache, 'kernels', 'built', 'aaaa'), { recursive: true });
  writeFileSync(kernel, 'x');
  const snapshot = (key: string, bzImage: string | undefined) => {
    const dir = join(cache, 'snapshots', key);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'state'), 'stream');
    if (bzImage) writeFileSync(join(dir, 'snapshot.json'), JSON.stringify({ key, kernel: 'k', bzImage, bytes: 6, args: [] }));
    return dir;
  };
  const kept = snapshot('0000000000000001', kernel);
  const orphan = snapshot('0000000000000002', join(cache, 'kernels', 'built', 'gone', 'bzImage'));
  const unreadable = snapshot('0000000000000003', undefined);
  const deadSave = snapshot('0000000000000004.tmp-999999999', kernel);
  const { gcSnapshots } = await import('../vm/qemu/snapshot.js');
  const first = gcSnapshots(false);
  const after = [kept, orphan, unreadable, deadSave].map((d) => existsSync(d));
  gcSnapshots(true);
  t.same(after, [true, false, false, false], "kept: a cached kernel's; removed: a removed kernel's, an unreadable one, a dead process's unfinished save");
  t.notOk(existsSync(kept), '--all: every snapshot');
  t.same(first.removed.sort(), [orphan, unreadable, deadSave].sort(), 'and says which it removed');
  t.ok(first.bytes >= 12, `and the bytes freed (${first.bytes})`);
});

t.test('Debian source trees no recipe uses go, with their .deb, build dirs and tools; used, leased ones stay', async (t) => {
  const cache = ownCache(t);
  const { candidateVersion, debPath } = await import('../common/apt.js');
  const { importPlace } = await import('../kernels/source/debian-source.js');
  const { buildDirPrefix } = await import('../kernels/build/builder.js');
  const { toolsDir } = await import('../kernels/fetch/image-tools.js');
  const { lease } = await import('../common/lease.js');
  const PKG = 'linux-source-6.12';
  /** An imported tree as debianSource leaves it, with what was made from it. */
  const tree = async (version: string) => {
    const { dir, stamp } = importPlace(PKG, version);
    mkdirSync(join(dir, '.git'), { recursive: true });
    writeFileSync(stamp, `${PKG}=${version}\n`);
    const deb = debPath(PKG, version, 'all');
    const build = join(cache, 'build', `${buildDirPrefix(dir)}0123456789ab`);
    const tools = await toolsDir(PKG, `${PKG}=${version}`);
    for (const d of [build, tools]) mkdirSync(d, { recursive: true });
    mkdirSync(join(cache, 'debs'), { recursive: true });
    writeFileSync(deb, 'deb');
    return [dir, deb, build, tools];
  };
  // What scx-6.12 builds from now: the version apt would install.
  const used = await tree((await candidateVersion(PKG))!);
  const old = await tree('6.12.0-0~old1');
  const leased = await tree('6.12.0-0~old2');
  lease(leased[0]!);
  // An import in progress: no stamp yet.
  const importing = join(cache, 'sources', 'debian-source', 'linux-source-6.12_6.12.0-0_old3.tmp-1');
  mkdirSync(importing, { recursive: true });

  const r = await cli(['kernel', 'gc'], { BPF_HARNESS_CACHE: cache });
  t.equal(r.exitCode, 0, { output: r.all });
  t.same(used.map(existsSync), [true, true, true, true], 'the tree a recipe builds from now, with its .deb, build dir and tools, stays');
  t.same(old.map(existsSync), [false, false, false, false], 'an earlier version goes, with its .deb, build dir and tools');
  t.ok(existsSync(leased[0]!), 'a tree a running harness reads stays');
  t.match(r.stdout, `kept ${leased[0]}: a running harness uses it`);
  t.ok(existsSync(importing), 'an import in progress stays');
  t.match(r.stdout, `removed ${old[0]}`);
});

t.test('a run that leases a tree while gc is looking up apt keeps it (the leases are read once gc holds the lock)', async (t) => {
  const cache = ownCache(t);
  const { importPlace } = await import('../kernels/source/debian-source.js');
  const PKG = 'linux-source-6.12';
  const { dir, stamp } = importPlace(PKG, '6.12.0-0~old9');
  mkdirSync(join(dir, '.git'), { recursive: true });
  writeFileSync(stamp, `${PKG}=6.12.0-0~old9\n`);
  // apt-cache, slowed down: gc's look-ups (which tree the recipes use) take 3 s, as on a cold apt cache.
  const bin = mkdtempSync(join(tmpdir(), 'slow-apt-'));
  t.teardown(() => rmSync(bin, { recursive: true, force: true }));
  const asked = join(bin, 'asked');
  writeFileSync(join(bin, 'apt-cache'), `#!/bin/sh\ntouch ${asked}\nsleep 3\nexec /usr/bin/apt-cache "$@"\n`, { mode: 0o755 });
  const gc = cli(['kernel', 'gc', '--all'], { BPF_HARNESS_CACHE: cache, PATH: `${bin}:${process.env.PATH}` });
  while (!existsSync(asked)) await sleep(50);
  // A run starts meanwhile and takes the tree, as debianSource does.
  const holder = execa('node', ['--input-type=module', '-e', `
    import { lease } from ${JSON.stringify(join(repoRoot, 'dist', 'common', 'lease.js'))};
    lease(${JSON.stringify(dir)});
    console.log('leased');
    setInterval(() => {}, 1000);
  `], { env: { BPF_HARNESS_CACHE: cache }, reject: false });
  t.teardown(() => void holder.kill('SIGKILL'));
  await new Promise<void>((r) => holder.stdout!.once('data', () => r()));
  const r = await gc;
  t.equal(r.exitCode, 0, 'exit 0', { output: r.all });
  t.ok(existsSync(stamp), 'the tree the run took is there');
  t.match(r.stdout, `kept ${dir}: a running harness uses it`);
  t.same(readdirSync(join(cache, 'sources', 'debian-source')), [basename(dir)], 'nothing of it left aside');
});

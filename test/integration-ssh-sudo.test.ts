// --target ssh:// as a user who is not root: OpenSSH's sshd on loopback, a test user
// with passwordless sudo, and this machine's own running kernel as the target (only
// a verifier rejection and socket filters in several privilege contexts are loaded,
// nothing is attached). Needs root to create the user and the sudoers entry, which are
// removed again at the end. sshd runs in a mount namespace of its own where
// /sys/fs/bpf holds no bpffs, as on a fresh machine, whatever this one has mounted.
import t from 'tap';
import { execa, type ResultPromise } from 'execa';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, cli, outDir } from './helpers/cli.js';
import { repoRoot } from '../common/paths.js';
import { processes as procs, sleep } from './helpers/procs.js';
import { freePort } from '../vm/qemu/ports.js';
import type { RunResult } from '../harness/results/model.js';

const USER = 'bpfh-sudo-test';
const SUDOERS = `/etc/sudoers.d/${USER}`;

if (process.getuid?.() !== 0 || !existsSync('/usr/sbin/sshd') || !existsSync('/usr/bin/sudo')) {
  t.test('ssh target as a sudo user', { skip: 'needs root, openssh-server and sudo (bash scripts/setup.sh installs them)' }, async () => {});
} else {
  const dir = mkdtempSync(join(tmpdir(), 'bpf-harness-sudo-'));
  chmodSync(dir, 0o755);
  const port = await freePort();
  const run = (cmd: string, args: string[]) => execa(cmd, args, { reject: false });
  await run('userdel', ['-r', USER]);
  // A locked account (useradd's default "!") may not log in, even by key, without PAM.
  await run('useradd', ['-m', '-s', '/bin/sh', '-p', '*', USER]);
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'id')]);
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'host')]);
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(join(dir, 'id.pub')), { mode: 0o644 });
  writeFileSync(join(dir, 'sshd_config'), [
    `Port ${port}`, 'ListenAddress 127.0.0.1', `HostKey ${join(dir, 'host')}`, `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
    `PidFile ${join(dir, 'sshd.pid')}`, 'UsePAM no', 'StrictModes no', 'PasswordAuthentication no', `AllowUsers ${USER}`, '',
  ].join('\n'));
  writeFileSync(join(dir, 'known_hosts'), `[127.0.0.1]:${port} ${readFileSync(join(dir, 'host.pub'), 'utf8').split(' ').slice(0, 2).join(' ')}\n`);
  mkdirSync('/run/sshd', { recursive: true });
  const sshdCmd = `umount -q /sys/fs/bpf 2>/dev/null; exec /usr/sbin/sshd -D -e -f ${join(dir, 'sshd_config')}`;
  const sshd: ResultPromise = execa('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', sshdCmd], { reject: false, all: true });
  /** The mounts sshd's sessions see, as "MOUNTPOINT FSTYPE" lines. */
  const mounts = () => readFileSync(`/proc/${sshd.pid}/mountinfo`, 'utf8').split('\n').filter(Boolean)
    .map((l) => { const f = l.split(' '); return `${f[4]} ${f[f.indexOf('-') + 1]}`; }).sort();
  t.teardown(async () => {
    sshd.kill('SIGTERM');
    await sshd;
    rmSync(SUDOERS, { force: true });
    await run('userdel', ['-r', USER]);
    rmSync(dir, { recursive: true, force: true });
  });
  await sleep(500);
  const mountsBefore = mounts();
  const leases = async () => (await execa('sh', ['-c', 'ls -d /tmp/bpf-harness.* 2>/dev/null || true'])).stdout.trim();
  const leasesBefore = await leases();
  /** Processes of the harness's on this host: the lease, the kernel log stream (its dmesg too) and what scenarios started. */
  const dmesgBefore = new Set(procs().filter((p) => p.cmd === 'dmesg -w -p ').map((p) => p.pid));
  const ours = () => procs().filter((p) => /bpf-harness: kernel log stream|mktemp -d \/tmp\/bpf-harness\./.test(p.cmd)
    || p.env.includes('BPF_HARNESS_PINS=/tmp/bpf-harness.') || (p.cmd === 'dmesg -w -p ' && !dmesgBefore.has(p.pid)));
  /** Waits (10 s at most) until none of ours is left, and says which are. */
  const leftOver = async () => {
    for (let i = 0; i < 100 && ours().length; i++) await sleep(100);
    return ours().map((p) => `${p.pid} ${p.cmd}`);
  };

  const target = ['--target', `ssh://${USER}@127.0.0.1:${port}`, '--identity', join(dir, 'id'), '--known-hosts', join(dir, 'known_hosts')];

  t.test('without sudo rights: a clear infrastructure error, nothing run', async (t) => {
    rmSync(SUDOERS, { force: true });
    const r = await cli(['run', 'scenarios/basics/uninit-register.yaml', ...target, '--out', outDir(), '-q']);
    t.equal(r.exitCode, 3, 'exit 3', { output: r.all });
    t.match(r.all, new RegExp(`${USER} on 127\\.0\\.0\\.1 is not root and \`sudo -n true\` failed`));
  });

  t.test('with passwordless sudo: scenarios load on the running kernel as root', async (t) => {
    writeFileSync(SUDOERS, `${USER} ALL=(root) NOPASSWD: ALL\n`, { mode: 0o440 });
    const out = outDir();
    const r = await cli(['run', 'scenarios/basics/uninit-register.yaml', 'scenarios/privileges/socket-filter.yaml', ...target, '--out', out, '-q']);
    t.equal(r.exitCode, 0, 'exit 0', { output: r.all });
    const res = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as RunResult;
    t.equal(res.scenarios.length, 2);
    t.ok(res.scenarios.every((s) => s.outcome === 'pass'), 'both pass');
    t.ok(res.scenarios.every((s) => s.kernel === `ssh:127.0.0.1:${port}`), 'the host named by its address and port');
    const log = readFileSync(join(out, `ssh_127_0_0_1_${port}`, 'scenarios_basics_uninit-register', 'load.verifier.log'), 'utf8');
    t.match(log, /R3 !read_ok/, "the host kernel's verifier log");
  });

  // The issue-21 attack: another local user of the host (uid 1000, the one the
  // unprivileged contexts run as, so the one with the most rights there) watches for the
  // run's directory and tries to plant a symlink where root writes next, or to replace
  // or write a file root made (the reset helper root runs, a pushed object), all while a
  // scenario holds its files there.
  t.test('another local user can neither redirect a write of root\'s nor replace what root runs', async (t) => {
    writeFileSync(SUDOERS, `${USER} ALL=(root) NOPASSWD: ALL\n`, { mode: 0o440 });
    const victim = join(dir, 'victim');
    writeFileSync(victim, 'original\n', { mode: 0o644 });
    const probe = [
      'while [ ! -e "$2" ]; do',
      '  for p in $(find /tmp/bpf-harness.* 2>/dev/null); do',
      '    [ "$(stat -c %u "$p" 2>/dev/null)" = 1000 ] && continue',
      '    if [ -d "$p" ] && [ ! -L "$p" ]; then',
      '      ln -s "$1" "$p/planted.o" 2>/dev/null && echo "ATTACK created $p/planted.o"',
      '      mkdir "$p/planted" 2>/dev/null && echo "ATTACK made $p/planted"',
      '    elif [ -f "$p" ]; then',
      '      echo "saw $p"',
      '      (: >> "$p") 2>/dev/null && echo "ATTACK opened $p for writing"',
      '      ln -sf "$1" "$p" 2>/dev/null && echo "ATTACK replaced $p"',
      '    fi',
      '  done',
      '  sleep 0.05',
      'done',
    ].join('\n');
    const stop = join(dir, 'probe.stop');
    const attacker = execa('setpriv', ['--reuid=1000', '--regid=1000', '--clear-groups', 'sh', '-c', probe, 'probe', victim, stop], { reject: false });
    const out = outDir();
    const r = await cli(['run', 'test/fixtures/scenarios/ssh-host/shared-host-probe.yaml', ...target, '--out', out, '-q']);
    writeFileSync(stop, '');
    const seen = (await attacker).stdout.split('\n');
    t.equal(r.exitCode, 0, 'the scenario passes: its unprivileged step writes in a directory of its own, not in root\'s', { output: r.all });
    t.same(seen.filter((l) => l.startsWith('ATTACK')), [], 'no attempt of the other user succeeded');
    t.ok(seen.some((l) => /^saw \/tmp\/bpf-harness\.[A-Za-z0-9]+\/work\/[^/]+\/socket_filter\.o$/.test(l)), 'the other user tried while the pushed object was there', { seen: [...new Set(seen)] });
    t.ok(seen.some((l) => /^saw \/tmp\/bpf-harness\.[A-Za-z0-9]+\/reset$/.test(l)), 'and while the reset helper root runs was there');
    t.equal(readFileSync(victim, 'utf8'), 'original\n', 'the file a planted link pointed at is unchanged');
  });

  t.test('the harness killed during a step: nothing it started stays on the host', async (t) => {
    writeFileSync(SUDOERS, `${USER} ALL=(root) NOPASSWD: ALL\n`, { mode: 0o440 });
    const run = execa('node', [CLI, 'run', 'test/fixtures/scenarios/ssh-host/long-step.yaml', ...target, '--out', outDir(), '-q'], { cwd: repoRoot, reject: false });
    let step = false;
    for (let i = 0; i < 600 && !step; i++) {
      await sleep(100);
      step = procs().some((p) => p.cmd === 'sleep 60 ' && p.env.includes('BPF_HARNESS_PINS=/tmp/bpf-harness.'));
    }
    t.ok(step, "the scenario's step is running on the host");
    t.ok(ours().some((p) => /kernel log stream/.test(p.cmd)), 'and so is the kernel log stream');
    run.kill('SIGKILL');
    await run;
    t.same(await leftOver(), [], 'the step, the kernel log stream and the lease all end with the connection');
  });

  t.test("the host's mounts are left as they were, its private directory removed", async (t) => {
    t.notOk(mountsBefore.includes('/sys/fs/bpf bpf'), 'the host under test has no bpffs on /sys/fs/bpf');
    t.same(mounts(), mountsBefore, 'the same mounts after the runs');
    t.equal(await leases(), leasesBefore, 'no /tmp/bpf-harness.* directory left behind');
    t.same(await leftOver(), [], 'no process of the harness left on the host');
  });
}

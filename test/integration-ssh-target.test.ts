// --target ssh://: a second debian-6.12 guest (booted with `bpf-harness vm up`) reached
// as a plain SSH host through its real dropbear: host key checks against known_hosts,
// scenarios on its running kernel, and the kernel log stream feeding the crash policy.
import t from 'tap';
import { execa } from 'execa';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, cli, fixture, outDir } from './helpers/cli.js';
import { qemuWithTag, sleep } from './helpers/procs.js';
import { repoRoot } from '../common/paths.js';
import type { RunResult } from '../harness/results/model.js';

const host = execa('node', [CLI, 'vm', 'up', '--kernel', 'debian-6.12'], { cwd: repoRoot, reject: false, all: true, buffer: true });
let printed = '';
host.all!.on('data', (d: Buffer) => (printed += d.toString()));
t.teardown(async () => {
  host.kill('SIGINT');
  await host;
});

let port = '';
let key = '';
for (let i = 0; i < 1200 && !/Press Ctrl-C/.test(printed); i++) await sleep(100);
const m = /ssh -i (\S+) .* -p (\d+) root@127\.0\.0\.1/.exec(printed);
if (m) [key, port] = [m[1]!, m[2]!];

const dir = mkdtempSync(join(tmpdir(), 'bpf-harness-ssh-'));
const knownHosts = join(dir, 'known_hosts');
const ssh = (extra: string[]) => ['--target', `ssh://root@127.0.0.1:${port}`, '--identity', key, '--known-hosts', knownHosts, ...extra];

t.test('the host guest is up', async (t) => {
  t.ok(port && key, 'vm up printed the ssh command', { output: printed });
});

t.test('a host not in known_hosts is refused (exit 2) with its fingerprint, and nothing is written', async (t) => {
  const r = await cli(['run', 'scenarios/basics', ...ssh(['--out', outDir()])]);
  t.equal(r.exitCode, 2, 'exit 2', { output: r.all });
  t.match(r.stderr, new RegExp(`\\[127\\.0\\.0\\.1\\]:${port} is not in .*known_hosts \\(its ssh-ed25519 key is SHA256:`));
  t.match(r.stderr, /--accept-new-host-key/);
  t.notOk(existsSync(knownHosts), 'known_hosts not created');
});

t.test('--accept-new-host-key adds it; scenarios run on the running kernel; a WARNING arrives through the kernel log stream', async (t) => {
  const out = outDir();
  const r = await cli(['run', 'scenarios/basics', fixture('scenarios', 'faults', 'kmsg-warning.yaml'), ...ssh(['--accept-new-host-key', '--kernel', 'debian-6.12', '--out', out])]);
  t.equal(r.exitCode, 1, 'exit 1: the WARNING scenario fails', { output: r.all });
  t.match(readFileSync(knownHosts, 'utf8'), new RegExp(`^\\[127\\.0\\.0\\.1\\]:${port} ssh-ed25519 AAAA`), 'known_hosts entry added');
  const run = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as RunResult;
  t.equal(run.target, `ssh://root@127.0.0.1:${port}`);
  t.same(run.kernels?.map((k) => [k.name, k.source, /^6\.12\./.test(k.release ?? ''), k.origin]), [["debian-6.12", undefined, true, `the running kernel of ssh root@127.0.0.1:${port}`]], 'a host\'s kernel: its name, no recipe source, its own release');
  const warned = run.scenarios.find((s) => s.file.endsWith('kmsg-warning.yaml'));
  t.equal(warned?.outcome, 'fail');
  t.equal(warned?.crash?.title, 'WARNING in bpf_harness_test_warn (kernel/bpf/harness_test.c:7)');
  t.equal(warned?.crash?.source, 'dmesg');
  const basics = run.scenarios.filter((s) => s.file.startsWith('scenarios/basics/'));
  t.equal(basics.length, 6);
  t.ok(basics.every((s) => s.outcome === 'pass' && s.kernel === 'debian-6.12'), 'basics pass, judged by the debian-6.12 expectations');
});

t.test("selftests on a host: the loader is sent there, the host's sysctl is left alone", async (t) => {
  const out = outDir();
  const r = await cli(['run', fixture('scenarios', 'selftests', 'corpus.yaml'), ...ssh(['--kernel', 'debian-6.12', '--out', out, '-q'])]);
  t.equal(r.exitCode, 1, "exit 1: the fixture's wrong tag", { output: r.all });
  const run = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as RunResult;
  const programs = run.scenarios[0]?.programs ?? [];
  t.same(programs.filter((p) => p.outcome === 'fail').map((p) => `${p.file}/${p.prog}`), ['ours.c/wrong_msg'], 'the same verdicts as in a guest');
  const unpriv = programs.filter((p) => p.mode === 'unpriv');
  t.ok(unpriv.length > 0 && unpriv.every((p) => p.outcome === 'skip' && /kernel\.unprivileged_bpf_disabled is 2/.test(p.reason ?? '')), 'unprivileged modes skipped, saying why');
  const sysctl = await cli(['vm', 'ssh', 'cat /proc/sys/kernel/unprivileged_bpf_disabled']);
  t.equal(sysctl.stdout.trim(), '2', 'the host sysctl untouched');
});

t.test('once known, the host needs no flag; a changed key is refused (exit 3)', async (t) => {
  const ok = await cli(['run', 'scenarios/basics/uninit-register.yaml', ...ssh(['--out', outDir(), '-q'])]);
  t.equal(ok.exitCode, 0, 'exit 0', { output: ok.all });
  const other = (await execa('ssh-keygen', ['-t', 'ed25519', '-N', '', '-q', '-f', join(dir, 'other')])).exitCode === 0 && readFileSync(join(dir, 'other.pub'), 'utf8').split(' ');
  writeFileSync(knownHosts, `[127.0.0.1]:${port} ${other && other[0]} ${other && other[1]}\n`);
  const r = await cli(['run', 'scenarios/basics/uninit-register.yaml', ...ssh(['--accept-new-host-key', '--out', outDir()])]);
  t.equal(r.exitCode, 3, 'exit 3', { output: r.all });
  t.match(r.all, /is not the one .*known_hosts lists for it: refusing to connect/);
});

t.test('bad --target values are usage errors', async (t) => {
  for (const bad of ['ssh://127.0.0.1', 'http://root@h', 'ssh://root@h:22/x']) {
    const r = await cli(['run', 'scenarios/basics', '--target', bad]);
    t.equal(r.exitCode, 2, bad, { output: r.all });
    t.match(r.stderr, /--target .*:.*\n.*hint: write it as ssh:\/\/user@host/);
  }
  const r = await cli(['run', 'scenarios/basics', '--identity', 'k']);
  t.equal(r.exitCode, 2);
  t.match(r.stderr, /--identity applies to --target ssh:\/\/user@host only/);
});

t.test('vm ssh runs a command in the guest vm up holds; vm down stops it', async (t) => {
  const r = await cli(['vm', 'ssh', 'uname -r; exit 7']);
  t.equal(r.exitCode, 7, "the command's exit status", { output: r.all });
  t.match(r.stdout, /^6\.12\.\d+/m, 'ran in the debian-6.12 guest');
  const again = await cli(['vm', 'up', '--kernel', 'debian-6.12']);
  t.equal(again.exitCode, 2, 'a second vm up is refused while one is up');
  t.match(again.stderr, /a guest is already up .*\n.*vm down/);
  const down = await cli(['vm', 'down']);
  t.equal(down.exitCode, 0, 'vm down', { output: down.all });
  const r2 = await host;
  t.not(r2.exitCode, null, 'vm up has exited');
  const gone = await cli(['vm', 'ssh', 'true']);
  t.equal(gone.exitCode, 2, 'vm ssh without a guest is bad input');
  t.match(gone.stderr, /no guest is up\nhint: start one with `bpf-harness vm up/);
});

// After vm down above: the state file that vm ssh reads is free again.
t.test('run --keep-failed keeps the guest the first failure ran on; vm ssh reaches it; Ctrl-C stops it', async (t) => {
  const tag = `keep-${process.pid}`;
  const run = execa('node', [CLI, 'run', fixture('scenarios', 'wrong-expectation.yaml'), '--out', outDir(), '--keep-failed'],
    { cwd: repoRoot, reject: false, all: true, buffer: true, env: { BPF_HARNESS_TEST_TAG: tag } });
  let out = '';
  run.all!.on('data', (d: Buffer) => (out += d.toString()));
  for (let i = 0; i < 1200 && !/Press Ctrl-C/.test(out); i++) await sleep(100);
  t.match(out, /FAIL .*wrong-expectation\.yaml \[debian-6\.12\]/, 'the run reported first');
  t.match(out, /--keep-failed: the guest test\/fixtures\/scenarios\/wrong-expectation\.yaml \[debian-6\.12\] failed on is up, as the scenario left it \(not cleaned up: its pins in \/sys\/fs\/bpf\/bpf-harness\/test_fixtures_scenarios_wrong-expectation, its files in \/tmp\/bpf-harness\/test_fixtures_scenarios_wrong-expectation\)/);
  t.match(out, /ssh -i \S+ -o UserKnownHostsFile=\S+ -p \d+ root@127\.0\.0\.1\n {2}\(or: bpf-harness vm ssh/);
  t.equal(qemuWithTag(tag).length, 1, 'its QEMU is still running');
  const r = await cli(['vm', 'ssh', 'uname -r']);
  t.equal(r.exitCode, 0, 'vm ssh reaches it', { output: r.all });
  t.match(r.stdout, /^6\.12\.\d+/);
  const left = await cli(['vm', 'ssh', 'ls /tmp/bpf-harness/test_fixtures_scenarios_wrong-expectation']);
  t.equal(left.stdout.trim(), 'uninit.o', 'kept before its cleanup: the object the scenario pushed is still there', { output: left.all });
  run.kill('SIGINT');
  await run;
  t.same(qemuWithTag(tag), [], 'Ctrl-C stopped it: no QEMU left');
  t.equal((await cli(['vm', 'ssh', 'true'])).exitCode, 2, 'and vm ssh has nothing to reach');
});

// Faults on a reused guest, on real debian-6.12 guests: a kernel panic mid-scenario, the
// guest's SSH server killed, and a scenario that leaves a process and sysctls behind.
import t from 'tap';
import { randomUUID } from 'node:crypto';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli, fixture, outDir } from './helpers/cli.js';
import { qemuWithTag } from './helpers/procs.js';
import type { RunResult } from '../harness/results/model.js';

const faults = (name: string) => fixture('scenarios', 'faults', name);
const results = (out: string) => JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as RunResult;

t.test('a panic (sysrq c) mid-scenario fails that scenario with the excerpt; the next one passes on a new guest', async (t) => {
  const out = outDir();
  const tag = randomUUID();
  const r = await cli(['run', faults('panic'), '--jobs', '1', '--out', out], { BPF_HARNESS_TEST_TAG: tag });
  t.equal(r.exitCode, 1, 'exit 1: a scenario failed, nothing broke underneath', { output: r.all });
  t.match(r.stdout, /FAIL .*1-panic\.yaml \[debian-6\.12\]/);
  t.match(r.stdout, /kernel crash: kernel panic: sysrq triggered crash/, 'titled');
  t.match(r.stdout, /Kernel panic - not syncing: sysrq triggered crash/, 'with the excerpt');
  t.match(r.stdout, /PASS .*2-after\.yaml/, 'the next scenario passes');
  t.match(r.stderr, /replacing it \(kernel crash/);
  const run = results(out);
  const [panicked, after] = run.scenarios;
  t.equal(panicked?.crash?.kind, 'panic');
  t.equal(panicked?.crash?.source, 'console');
  t.same(panicked?.steps.map((s) => [s.id, s.outcome]), [['before', 'pass']], 'the steps before the panic are kept');
  t.match(readFileSync(join(out, panicked!.crash!.artifact), 'utf8'), /sysrq: Trigger a crash/, 'crash.txt artifact');
  t.equal(after?.outcome, 'pass');
  // A panic repeats: it ran again twice (--retries' default), each time on a new guest, then the next scenario on one more.
  t.equal(panicked?.tries?.runs, 3, 'tried 3 times');
  t.same(panicked?.tries?.failed.map((f) => f.reason), Array(3).fill('kernel crash: kernel panic: sysrq triggered crash'), 'a panic each time');
  t.match(r.stdout, /FAIL .*1-panic\.yaml \[debian-6\.12\] .*failed on all 3 tries/);
  t.same(readdirSync(join(out, 'debian-6_12')).filter((d) => d.startsWith('guest-')).sort(), ['guest-1', 'guest-1-2', 'guest-1-3', 'guest-1-4'], 'a new guest after each panic');
  t.match(readFileSync(join(out, 'debian-6_12', 'guest-1', 'console.log'), 'utf8'), /Kernel panic/, 'the console log is in the artifacts');
  t.same(qemuWithTag(tag), [], 'no QEMU left');
});

t.test("killing the guest's sshd is an infrastructure error (exit 3) found at once, not a hang", async (t) => {
  const out = outDir();
  const r = await cli(['run', faults('sshd'), '--jobs', '1', '--out', out, '-q']);
  t.equal(r.exitCode, 3, 'exit 3', { output: r.all });
  const [killed, after] = results(out).scenarios;
  t.equal(killed?.outcome, 'error');
  t.match(killed?.reason, /SSH connection .* lost while running/, 'lost, not timed out');
  // The step sleeps 30 s after the kill and its timeout is 120 s: finishing well inside
  // the sleep shows the loss was noticed when the connection dropped.
  t.ok(killed!.durationMs < 25000, `noticed in ${killed!.durationMs} ms`);
  t.equal(after?.outcome, 'pass', 'the next scenario runs on a new guest');
});

t.test('a reused guest is reset between scenarios: leftover processes killed, sysctls restored', async (t) => {
  const out = outDir();
  const r = await cli(['run', faults('reset'), '--jobs', '1', '--out', out, '-q']);
  t.equal(r.exitCode, 0, 'exit 0', { output: r.all });
  t.same(readdirSync(join(out, 'debian-6_12')).filter((d) => d.startsWith('guest-')), ['guest-1'], 'both ran on one guest');
  const reset = readFileSync(join(out, 'debian-6_12', 'test_fixtures_scenarios_faults_reset_1-leave-mess', 'reset.txt'), 'utf8');
  t.match(reset, /killed \d+ sleep 600/);
  t.match(reset, /restored kernel\/unprivileged_bpf_disabled/);
  t.match(reset, /restored net\/core\/bpf_jit_harden/);
});

t.test('the kernel log stream is followed again when its reader dies; a later WARNING still fails the scenario', async (t) => {
  const out = outDir();
  const r = await cli(['run', faults('kmsg-restart.yaml'), '--out', out, '-q']);
  t.equal(r.exitCode, 1, 'exit 1', { output: r.all });
  const [s] = results(out).scenarios;
  t.equal(s?.crash?.title, 'WARNING in bpf_harness_after_restart (kernel/bpf/harness_test.c:9)');
  t.equal(s?.crash?.source, 'dmesg');
});

t.test('a kernel that cannot boot (--append rdinit=/nonexistent) fails its scenarios as "boot failed: TITLE" (exit 1), not as an infrastructure error', async (t) => {
  const out = outDir();
  const tag = randomUUID();
  const r = await cli(['run', faults('reset'), '--jobs', '1', '--out', out, '--append', 'rdinit=/nonexistent'], { BPF_HARNESS_TEST_TAG: tag });
  t.equal(r.exitCode, 1, 'exit 1: the kernel failed, the machine did not', { output: r.all });
  const run = results(out);
  t.equal(run.scenarios.length, 2, 'every scenario planned on it has a result');
  for (const s of run.scenarios) {
    t.equal(s.outcome, 'fail');
    t.match(s.bootFailed, /^kernel panic: /, 'titled by the crash policy');
    t.equal(s.reason, `boot failed: ${s.bootFailed}`);
    t.match(s.consoleTail, /Kernel panic - not syncing/, 'with the console tail');
  }
  t.match(r.stdout, /boot failed: kernel panic: /);
  t.equal(r.stderr.match(/booting once more/g)?.length, 1, 'booted a second time, once, before giving up');
  t.match(readFileSync(join(out, 'debian-6_12', 'guest-1', 'console-boot-1.log'), 'utf8'), /Kernel panic/, "the first boot's console is kept beside the second's");
  t.match(readFileSync(join(out, 'debian-6_12', 'guest-1', 'console.log'), 'utf8'), /Kernel panic/, 'the console log is in the artifacts');
  t.same(qemuWithTag(tag), [], 'no QEMU left');
});

t.test('--append is refused where it cannot apply or is not one printable line', async (t) => {
  const ssh = await cli(['run', faults('reset'), '--target', 'ssh://root@127.0.0.1', '--append', 'quiet']);
  t.equal(ssh.exitCode, 2);
  t.match(ssh.stderr, /--append applies to QEMU guests \(--target qemu\) only/);
  const nl = await cli(['run', faults('reset'), '--append', 'quiet\ninit=/bin/sh']);
  t.equal(nl.exitCode, 2);
  t.match(nl.stderr, /--append <args>' argument 'quiet\ninit=\/bin\/sh' is invalid\. the kernel command line takes printable ASCII only/);
});

t.test('--qemu-arg reaches QEMU, and the whole command line is kept with the guest', async (t) => {
  const out = outDir();
  // A virtio RNG: a device the harness does not add, seen from inside the guest (virtio device ID 4).
  const dir = outDir();
  writeFileSync(join(dir, 'rng.yaml'), [
    'name: the guest has the virtio RNG given with --qemu-arg',
    'kernels: [debian-6.12]',
    'steps:',
    '  - {id: devices, run: cat /sys/bus/virtio/devices/*/device, expect: {stdout: ["{{^0x0004$}}"]}}',
    '',
  ].join('\n'));
  const r = await cli(['run', join(dir, 'rng.yaml'), '--out', out, '--qemu-arg', '-device', '--qemu-arg', 'virtio-rng-pci']);
  t.equal(r.exitCode, 0, 'exit 0: the device is there', { output: r.all });
  const line = readFileSync(join(out, 'debian-6_12', 'guest-1', 'qemu-cmdline.txt'), 'utf8');
  t.match(line, /^qemu-system-x86_64 -nodefaults .* -device virtio-net-pci,netdev=n0,romfile= -device virtio-rng-pci( -qmp \S+| -incoming fd:3)?\n/, 'after the harness\'s own arguments (the snapshot\'s, if any, follow)');
  const ssh = await cli(['run', faults('reset'), '--target', 'ssh://root@127.0.0.1', '--qemu-arg', '-S']);
  t.equal(ssh.exitCode, 2);
  t.match(ssh.stderr, /--qemu-arg applies to QEMU guests \(--target qemu\) only/);
  const nl = await cli(['run', faults('reset'), '--qemu-arg', '-device\nvirtio-rng-pci']);
  t.equal(nl.exitCode, 2);
  t.match(nl.stderr, /--qemu-arg <arg>' argument '-device\nvirtio-rng-pci' is invalid\. expected one QEMU argument, printable ASCII on one line/);
});

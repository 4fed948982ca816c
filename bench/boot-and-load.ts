// Bench: boot-to-ready and per-scenario time of the harness beside a raw baseline
// measured in the same run on the same machine (these machines are noisy, so only the
// ratios mean much). Raw boot: the same QEMU command line, polled with OpenSSH until
// `true` runs. Raw load: `bpftool -d prog loadall` over one open OpenSSH ControlMaster
// connection, pins removed in the same command. Harness: QemuTarget.boot from the
// kernel's snapshot, QemuTarget.boot cold (--cold-boot), and runScenario. The three
// boots alternate round by round.
//   node dist/bench/boot-and-load.js [--rounds N] [--loads N] [--kernel NAME]
import { execa } from 'execa';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { buildProgram } from '../harness/programs/build.js';
import { repoRoot } from '../common/paths.js';
import { setQuiet } from '../common/progress.js';
import { runScenario } from '../harness/runner/scenario.js';
import { loadCrashPolicy } from '../vm/crash/policy.js';
import { loadScenario } from '../harness/scenario/load.js';
import { clientKey } from '../vm/transport/keys.js';
import { kernelArtifacts } from '../kernels/resolve.js';
import { guestImage } from '../vm/qemu/image/build.js';
import { chooseAccel } from '../vm/qemu/accel.js';
import { freePort } from '../vm/qemu/ports.js';
import { spawnGuarded } from '../common/processes.js';
import { allSnapshots } from '../vm/qemu/snapshot.js';
import { QemuTarget, qemuArgs } from '../vm/qemu/target.js';

const { values } = parseArgs({
  options: { rounds: { type: 'string', default: '3' }, loads: { type: 'string', default: '10' }, kernel: { type: 'string', default: 'debian-6.12' } },
});
const rounds = Number(values.rounds);
const loads = Number(values.loads);
setQuiet(true);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const art = await kernelArtifacts(values.kernel!);
const image = await guestImage(art);
const accel = await chooseAccel('auto', art.bzImage);
const key = await clientKey();
const scenarioFile = join(repoRoot, 'scenarios', 'basics', 'uninit-register.yaml');
const scenario = loadScenario(scenarioFile);
const object = await buildProgram(Object.values(scenario.programs)[0] as string, art.includeDirs);
const work = mkdtempSync(join(tmpdir(), 'bpf-harness-bench-'));
const knownHosts = join(work, 'known_hosts');

function sshArgs(port: number, extra: string[] = []): string[] {
  return ['-i', key.privateKeyPath, '-p', String(port), '-o', 'BatchMode=yes', '-o', `UserKnownHostsFile=${knownHosts}`,
    '-o', 'StrictHostKeyChecking=yes', '-o', 'ConnectTimeout=2', ...extra, 'root@127.0.0.1'];
}

async function rawRound(): Promise<{ bootMs: number; loadMs: number[] }> {
  const port = await freePort();
  writeFileSync(knownHosts, `[127.0.0.1]:${port} ${image.hostKey}\n`);
  const t0 = Date.now();
  const qemu = spawnGuarded('qemu-system-x86_64', qemuArgs(art, image, { accel, logDir: work }, port));
  try {
    for (;;) {
      const r = await execa('ssh', [...sshArgs(port), 'true'], { reject: false });
      if (r.exitCode === 0) break;
      if (Date.now() - t0 > 120000) throw new Error(`raw boot: no SSH in 120 s: ${r.stderr}`);
      await sleep(100);
    }
    const bootMs = Date.now() - t0;
    const sock = join(work, `ctl-${port}`);
    await execa('ssh', [...sshArgs(port, ['-M', '-S', sock, '-f', '-N'])]);
    const ctl = (cmd: string, input?: Buffer) => execa('ssh', [...sshArgs(port, ['-S', sock]), cmd], { input });
    await ctl('cat > /tmp/bench.o', readFileSync(object));
    const loadMs: number[] = [];
    for (let i = 0; i < loads; i++) {
      const t = Date.now();
      await ctl('mkdir -p /sys/fs/bpf/bench && bpftool -d prog loadall /tmp/bench.o /sys/fs/bpf/bench 2>&1; rm -rf /sys/fs/bpf/bench', undefined).catch(() => undefined);
      loadMs.push(Date.now() - t);
    }
    await execa('ssh', [...sshArgs(port, ['-S', sock, '-O', 'exit'])], { reject: false });
    return { bootMs, loadMs };
  } finally {
    qemu.kill('SIGKILL');
    await qemu;
  }
}

async function harnessRound(coldBoot: boolean): Promise<{ bootMs: number; loadMs: number[] }> {
  const t = await QemuTarget.boot(art, image, { accel, logDir: work, coldBoot });
  try {
    if (!coldBoot && !t.restoredFrom) throw new Error('a snapshot boot did not restore (see the progress lines above)');
    const loadMs: number[] = [];
    // Loads are timed on the restored guests only: a guest is a guest once up.
    for (let i = 0; i < (coldBoot ? 0 : loads); i++) {
      const { result: r } = await runScenario({
        target: t, scenario, kernel: art.name, objects: new Map([[Object.keys(scenario.programs)[0]!, object]]),
        slug: 'bench', artifactDir: join(work, 'artifacts'), artifactRel: 'artifacts', update: false, crashPolicy: loadCrashPolicy(),
      }, relative(repoRoot, scenarioFile));
      if (r.outcome !== 'pass') throw new Error(`bench scenario did not pass: ${JSON.stringify(r.steps)}`);
      loadMs.push(r.durationMs);
    }
    return { bootMs: t.bootMs, loadMs };
  } finally {
    await t.close();
  }
}

// The snapshot is saved by a first boot, outside the rounds.
await (await QemuTarget.boot(art, image, { accel, logDir: work })).close();
const snapshotRound = () => harnessRound(false);
const coldRound = () => harnessRound(true);
type Round = () => Promise<{ bootMs: number; loadMs: number[] }>;
const boots = new Map<Round, number[]>([[snapshotRound, []], [coldRound, []], [rawRound, []]]);
const load = { raw: [] as number[], harness: [] as number[] };
for (let i = 0; i < rounds; i++) {
  // Rotate which goes first so drift in machine load hits all alike.
  const order = [...boots.keys()];
  for (const f of [...order.slice(i % 3), ...order.slice(0, i % 3)]) {
    const r = await f();
    boots.get(f)!.push(r.bootMs);
    (f === rawRound ? load.raw : load.harness).push(...r.loadMs);
  }
  process.stderr.write(`round ${i + 1}/${rounds} done\n`);
}

const fmt = (ms: number) => `${(ms / 1000).toFixed(3)} s`;
const snap = median(boots.get(snapshotRound)!);
const cold = median(boots.get(coldRound)!);
const raw = median(boots.get(rawRound)!);
const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;
const all = (f: Round) => boots.get(f)!.map((ms) => (ms / 1000).toFixed(2)).join(' ');
const snapBytes = allSnapshots().filter((s) => s.snapshot?.meta.kernel === art.name).map((s) => s.bytes);
process.stdout.write(
  `kernel ${art.name} (${art.release}), accel ${accel}, ${rounds} rounds x ${loads} loads, medians\n` +
    `boot to SSH-ready, from snapshot   ${fmt(snap).padStart(9)}   ${ratio(snap, cold)} cold, ${ratio(snap, raw)} raw   (target: <= 1.0 s and <= 0.3x cold under TCG)\n` +
    `boot to SSH-ready, cold boot       ${fmt(cold).padStart(9)}   ${ratio(cold, raw)} raw   (target: <= 2.5 s under TCG)\n` +
    `boot to SSH-ready, raw QEMU line   ${fmt(raw).padStart(9)}   (same command line, OpenSSH polled every 100 ms)\n` +
    `per scenario (1 load step)         ${fmt(median(load.harness)).padStart(9)}   raw ${fmt(median(load.raw))}   ratio ${ratio(median(load.harness), median(load.raw))}   (target: <= 1.05x raw)\n` +
    `each round (s): snapshot ${all(snapshotRound)}; cold ${all(coldRound)}; raw ${all(rawRound)}\n` +
    `snapshot size                      ${snapBytes.map((b) => `${(b / 1e6).toFixed(0)} MB`).join(', ')}   (target: <= 150 MB each)\n`,
);

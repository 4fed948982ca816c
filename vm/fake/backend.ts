// A fake target backend for the runner's unit tests (as syzkaller registers a "test" VM
// type): targets that answer every command at once from a script, with a kernel log the
// script writes to, so the runner's pool, retirement and boot retries run in
// milliseconds without QEMU. Only the runner's logic is under test here; real targets
// are tested by the integration tests.
import { BootError } from '../../common/errors.js';
import type { Target } from '../target.js';
import type { TargetDirs } from '../session.js';
import { registerBackend, type TargetBackend, type TargetPool } from '../registry.js';
import type { ExecResult } from '../transport/ssh.js';
import { LineLog } from '../crash/line-log.js';

export interface FakeScript {
  /** Boots that fail (BootError "fake panic") before the next ones succeed; Infinity: all. */
  failBoots?: number;
  /** The tries each failed boot says it already had (a backend that boots again itself: 2). */
  bootTries?: number;
  /** Targets at once, as a pool reports it (an SSH host: 1). */
  capacity?: number;
  /** The answer to a scenario's command (anything not the harness's own), and what the kernel prints meanwhile. */
  answer?(cmd: string, target: FakeTarget): { exit?: number; stdout?: string; kernel?: string[] };
}

export interface FakeLog {
  /** Each acquire: worker number, attempt, whether it booted, and the target's number. */
  boots: { worker: number; attempt: number; ok: boolean; target?: number; network: boolean }[];
  /** Scenario commands in the order they ran, with the target that ran them. */
  commands: { target: number; cmd: string }[];
  /** Acquires begun and scenario commands run, in order: "acquire W/ATTEMPT", "run T: CMD". */
  order: string[];
  /** The most targets up at once (in one pool). */
  maxLive: number;
  closed: number;
  /** Pools (kernels) open now, and the most open at once. */
  pools: number;
  maxPools: number;
}

const DIRS: TargetDirs = { work: '/tmp/fake', user: '/tmp/fake-user', pins: '/sys/fs/bpf/fake', resetHelper: '/run/fake-reset' };

export class FakeTarget implements Target {
  readonly shared = false;
  readonly release = '6.99.0-fake';
  readonly kernelLogs = { dmesg: new LineLog() };
  constructor(readonly n: number, private readonly script: FakeScript, private readonly log: FakeLog, private readonly onClose: () => void) {}

  get describe() {
    return `fake target ${this.n}`;
  }

  async exec(cmd: string): Promise<ExecResult> {
    // A command takes a moment on a real target: other workers run meanwhile.
    await new Promise((r) => setTimeout(r, 1));
    // The harness's own writes to the kernel log (scenario markers) appear in its stream, as on a real kernel.
    for (const m of cmd.matchAll(/echo '(bpf-harness: [^']*)' > \/dev\/kmsg/g)) this.kernelLogs.dmesg.write(`${m[1]}\n`);
    const own = /^(cat \/sys\/kernel\/sched_ext|sh '?\/run\/fake-reset|rm -rf|echo '?bpf-harness)/.test(cmd);
    const a = own ? {} : (this.script.answer?.(cmd, this) ?? {});
    if (!own) {
      this.log.commands.push({ target: this.n, cmd });
      this.log.order.push(`run ${this.n}: ${cmd}`);
    }
    for (const line of a.kernel ?? []) this.kernelLogs.dmesg.write(`${line}\n`);
    return { exit: a.exit ?? 0, stdout: a.stdout ?? '', stderr: '', durationMs: 0 };
  }

  consoleTail(): string {
    return '';
  }
  async ready() {
    return DIRS;
  }
  async settle() {}
  async close() {
    this.log.closed++;
    this.onClose();
  }
}

class FakePool implements TargetPool {
  readonly features = { tokenHelper: false };
  readonly label = 'fake';
  readonly capacity: number;
  private live = 0;
  private made = 0;
  private failures = 0;

  constructor(readonly kernel: TargetPool['kernel'], private readonly script: FakeScript, private readonly log: FakeLog) {
    this.capacity = script.capacity ?? Number.MAX_SAFE_INTEGER;
  }

  async selftestLoader(): Promise<never> {
    throw new Error('fake targets run no selftests');
  }

  async acquire(worker: number, attempt: number, opts: { network: boolean }) {
    this.log.order.push(`acquire ${worker}/${attempt}`);
    // A boot takes a moment, so other workers' boots overlap it.
    await new Promise((r) => setTimeout(r, 5));
    if (this.failures < (this.script.failBoots ?? 0)) {
      this.failures++;
      this.log.boots.push({ worker, attempt, ok: false, network: opts.network });
      throw new BootError('kernel panic: fake panic', 'boot failed: kernel panic: fake panic (fake)', 'Kernel panic - not syncing: fake panic', this.script.bootTries);
    }
    const t = new FakeTarget(++this.made, this.script, this.log, () => this.live--);
    this.live++;
    this.log.maxLive = Math.max(this.log.maxLive, this.live);
    this.log.boots.push({ worker, attempt, ok: true, target: t.n, network: opts.network });
    return t;
  }

  async close() {
    this.log.pools--;
  }
}

const fakeBackend: TargetBackend<{ script: FakeScript; log: FakeLog }> = {
  name: 'fake', describe: 'fake targets (tests)', claims: (t) => t === 'fake', flags: [], kernelsAreRecipes: false,
  configure: () => {
    throw new Error('fake targets are configured by the test');
  },
  planKernels: (_, k) => k,
  open: async (c, kernel) => {
    c.log.maxPools = Math.max(c.log.maxPools, ++c.log.pools);
    return new FakePool({ name: kernel, config: { missing: 'a fake kernel has no config' }, includeDirs: [] }, c.script, c.log);
  },
};
registerBackend(fakeBackend);

/** runPlan's target option for fake targets following the script, and the log they fill. */
export function fakeTargets(script: FakeScript) {
  const log: FakeLog = { boots: [], commands: [], order: [], maxLive: 0, closed: 0, pools: 0, maxPools: 0 };
  return { log, target: { backend: fakeBackend as TargetBackend, config: { script, log }, target: 'fake' } };
}

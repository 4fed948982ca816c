// QEMU guests as a target backend: each --kernel is a recipe, fetched or built; its
// guests boot from the guest image made for it, as many at once as --jobs asks.
import { join } from 'node:path';
import type { KernelArtifacts } from '../../kernels/recipe/artifacts.js';
import { kernelArtifacts } from '../../kernels/resolve.js';
import { slug } from '../../common/paths.js';
import { registerBackend, type AcquireOptions, type BackendFlag, type OptionsOf, type PoolOptions, type TargetPool } from '../registry.js';
import { guestImage, SELFTEST_LOADER, type GuestImage } from './image/build.js';
import { ACCEL_CHOICES, chooseAccel, type Accel } from './accel.js';
import { allSnapshots, gcSnapshots } from './snapshot.js';
import { bootGuest, DEFAULT_MEMORY_MIB } from './target.js';
import { mb } from '../../common/disk-usage.js';


// A guest needs some memory to boot at all: a smaller value is a slip, refused before a build.
const MIN_GUEST_MEMORY_MIB = 64;
/** One line of printable text (no shell ever sees it, but a newline would be a second line of the command). */
const printableLine = (why: string, empty = true) => (v: string) => ((!v && !empty) || /[^\x20-\x7e]/.test(v) ? why : undefined);

const QEMU_FLAGS = [
  { name: 'accel', kind: 'choice', choices: ACCEL_CHOICES, default: 'auto', commands: ['run', 'compare', 'reproduce', 'vm up'],
    describe: 'QEMU accelerator; auto probes KVM by booting and falls back to TCG' },
  { name: 'memory', short: 'm', kind: 'int', value: 'MiB', min: MIN_GUEST_MEMORY_MIB, max: 256 * 1024, default: DEFAULT_MEMORY_MIB, commands: ['run', 'vm up'],
    describe: 'guest memory' },
  { name: 'cpus', kind: 'int', value: 'n', min: 1, max: 64, default: 2, commands: ['run'],
    describe: 'vCPUs per guest (under TCG each is a busy host thread: with --jobs, keep jobs x cpus near the host\'s cores)' },
  { name: 'append', kind: 'text', value: 'args', check: printableLine('the kernel command line takes printable ASCII only, on one line'), commands: ['run', 'vm up'],
    describe: 'more kernel command line for the guests (after the harness\'s own, so a later setting wins); a kernel that then fails to boot fails its scenarios as "boot failed: TITLE"' },
  { name: 'qemu-arg', kind: 'text', value: 'arg', repeatable: true, check: printableLine('expected one QEMU argument, printable ASCII on one line (repeat the flag for each: --qemu-arg -device --qemu-arg virtio-rng-pci)', false), commands: ['run', 'vm up'],
    describe: 'one more argument for QEMU, after the harness\'s own (repeatable, one argument each: --qemu-arg -device --qemu-arg virtio-rng-pci)' },
  { name: 'cold-boot', kind: 'switch', commands: ['run', 'compare', 'vm up'],
    describe: 'boot guests cold (the kernel\'s whole boot) instead of restoring them from the snapshot saved after an earlier boot' },
] as const satisfies readonly BackendFlag[];

/** What QEMU guests are told by the command line: the flags above, by their camelCase names. */
type QemuConfig = OptionsOf<typeof QEMU_FLAGS>;

class QemuPool implements TargetPool {
  readonly features = { tokenHelper: true };
  readonly capacity = Number.MAX_SAFE_INTEGER;
  readonly label = 'qemu';
  accel?: Accel;
  private machine?: Promise<{ image: GuestImage; accel: Accel }>;

  constructor(private readonly art: KernelArtifacts, private readonly config: QemuConfig, private readonly opts: PoolOptions) {}

  get kernel() {
    const a = this.art;
    return { name: a.name, config: { file: a.config }, includeDirs: a.includeDirs ?? [], release: a.release, origin: a.origin, ...(a.arch ? { arch: a.arch } : {}), ...(a.vmlinux ? { btf: a.vmlinux } : {}), ...(a.tree ? { tree: a.tree } : {}) };
  }

  async selftestLoader() {
    return { path: SELFTEST_LOADER };
  }

  /** The guest image and the accelerator: made on the first boot, so a kernel whose scenarios all skip makes neither. */
  private prepare() {
    return (this.machine ??= (async () => {
      const image = await guestImage(this.art);
      const accel = await chooseAccel(this.config.accel, this.art.bzImage);
      this.accel = accel;
      return { image, accel };
    })());
  }

  async acquire(n: number, attempt: number, o: AcquireOptions) {
    const { image, accel } = await this.prepare();
    return bootGuest(this.art, image, {
      accel, memoryMiB: Math.max(this.config.memory, o.memoryMiB ?? 0), cpus: this.config.cpus, append: this.config.append, extraArgs: this.config.qemuArg, network: o.network, crashPolicy: this.opts.policy, coldBoot: this.config.coldBoot,
      logDir: join(this.opts.outDir, slug(this.art.name), `guest-${n}${attempt > 1 ? `-${attempt}` : ''}`),
    });
  }

  async close() {}
}

registerBackend({
  name: 'qemu',
  describe: 'QEMU guests (--target qemu)',
  claims: (target) => target === 'qemu',
  flags: QEMU_FLAGS,
  alsoOwns: ['--keep-failed'],
  kernelsAreRecipes: true,
  configure: (_, options): QemuConfig => options,
  planKernels: (_, kernels) => kernels,
  open: async (config, kernel, opts) => new QemuPool(await kernelArtifacts(kernel), config, opts),
  kernelNote: (kernel) => {
    const mine = allSnapshots().filter((s) => s.snapshot?.meta.kernel === kernel);
    return mine.length ? `snapshots: ${mine.length}, ${mb(mine.reduce((n, s) => n + s.bytes, 0))}` : '';
  },
  gc: gcSnapshots,
});

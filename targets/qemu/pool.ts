// QEMU guests as a target backend: each --kernel is a recipe, fetched or built; its
// guests boot from the guest image made for it, as many at once as --jobs asks.
import { join } from 'node:path';
import type { KernelArtifacts } from '../../kernels/recipe/artifacts.js';
import { kernelArtifacts } from '../../kernels/resolve.js';
import { slug } from '../../common/paths.js';
import { registerBackend, type PoolOptions, type TargetPool } from '../registry.js';
import { guestImage, SELFTEST_LOADER, type GuestImage } from './image/build.js';
import { chooseAccel, type Accel } from './accel.js';
import { bootGuest } from './target.js';

class QemuPool implements TargetPool {
  readonly features = { tokenHelper: true };
  readonly capacity = Number.MAX_SAFE_INTEGER;
  readonly label = 'qemu';
  accel?: Accel;
  private machine?: Promise<{ image: GuestImage; accel: Accel }>;

  constructor(private readonly art: KernelArtifacts, private readonly opts: PoolOptions) {}

  get kernel() {
    return { name: this.art.name, config: { file: this.art.config }, includeDirs: this.art.includeDirs ?? [], ...(this.art.tree ? { tree: this.art.tree } : {}) };
  }

  async selftestLoader() {
    return { path: SELFTEST_LOADER };
  }

  /** The guest image and the accelerator: made on the first boot, so a kernel whose scenarios all skip makes neither. */
  private prepare() {
    return (this.machine ??= (async () => {
      const image = await guestImage(this.art);
      const accel = await chooseAccel(this.opts.accel as 'auto' | Accel, this.art.bzImage);
      this.accel = accel;
      return { image, accel };
    })());
  }

  async acquire(n: number, attempt: number, o: { network: boolean }) {
    const { image, accel } = await this.prepare();
    return bootGuest(this.art, image, {
      accel, memoryMiB: this.opts.memoryMiB, cpus: this.opts.cpus, append: this.opts.append, extraArgs: this.opts.qemuArgs, network: o.network, crashPolicy: this.opts.policy, coldBoot: this.opts.coldBoot,
      logDir: join(this.opts.outDir, slug(this.art.name), `guest-${n}${attempt > 1 ? `-${attempt}` : ''}`),
    });
  }

  async close() {}
}

registerBackend<Record<string, never>>({
  name: 'qemu',
  describe: 'QEMU guests (--target qemu)',
  claims: (target) => target === 'qemu',
  ownFlags: ['--append', '--cold-boot', '--qemu-arg', '--keep-failed'],
  kernelsAreRecipes: true,
  configure: () => ({}),
  planKernels: (_, kernels) => kernels,
  open: async (_, kernel, opts) => new QemuPool(await kernelArtifacts(kernel), opts),
});

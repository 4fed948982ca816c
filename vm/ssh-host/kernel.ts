// What programs and `requires` need from an SSH host's running kernel: its .config
// (/proc/config.gz or /boot/config-RELEASE) and a vmlinux.h from its own BTF. The
// libbpf headers (and the tree, for {tree:} programs) are those of the matching
// linux-source package when Debian has one.
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import type { KernelArtifacts } from '../../kernels/recipe/artifacts.js';
import { imageTools } from '../../kernels/fetch/image-tools.js';
import { InfraError } from '../../common/errors.js';
import { requireCommand } from '../../common/host-commands.js';
import { cacheDir } from '../../common/paths.js';
import { progress } from '../../common/progress.js';
import { publishOnce } from '../../common/publish.js';
import type { Target } from '../target.js';

export type HostKernel = Pick<KernelArtifacts, 'name' | 'release' | 'origin' | 'includeDirs' | 'tree'> & {
  /** The .config, or undefined when the host does not expose it. */
  config?: string;
  /** The host's /sys/kernel/btf/vmlinux, as read. */
  btf: string;
};

export async function hostKernel(target: Target, name: string): Promise<HostKernel> {
  progress(`reading the kernel config and BTF of ${target.describe} (${target.release})`);
  const config = await target.exec('if [ -r /proc/config.gz ]; then gzip -dc /proc/config.gz; elif [ -r /boot/config-$(uname -r) ]; then cat /boot/config-$(uname -r); fi', { timeoutMs: 60000 });
  const btf = await target.exec('base64 /sys/kernel/btf/vmlinux', { timeoutMs: 120000 });
  if (btf.exit !== 0) throw new InfraError(`${target.describe}: cannot read /sys/kernel/btf/vmlinux (${btf.stderr.trim() || `exit ${btf.exit}`}): the kernel needs CONFIG_DEBUG_INFO_BTF for BPF programs built against its types`);
  const btfBytes = Buffer.from(btf.stdout, 'base64');
  const key = createHash('sha256').update(btfBytes).update(config.stdout).digest('hex').slice(0, 16);
  const dir = cacheDir('hosts', `${target.release.replace(/[^A-Za-z0-9._+-]/g, '_')}-${key}`);
  const vmlinuxH = join(dir, 'include', 'vmlinux.h');
  // Debian's kernels name their package version in `uname -v` (#1 SMP ... Debian 6.12.117-1~deb12u1 (date)).
  const debianVersion = /\bDebian ([0-9][A-Za-z0-9.+~:-]*)/.exec((await target.exec('uname -v', { timeoutMs: 60000 })).stdout)?.[1];
  const tools = await imageTools(target.release, debianVersion);
  const hasConfig = !!config.stdout.trim();
  await publishOnce(dir, vmlinuxH, `making vmlinux.h for ${target.release}`, () => undefined, async (tmp) => {
    mkdirSync(join(tmp, 'include'));
    writeFileSync(join(tmp, 'btf'), btfBytes);
    if (hasConfig) writeFileSync(join(tmp, 'config'), config.stdout);
    const bpftool = tools?.bpftool ?? requireCommand('bpftool', 'bpftool');
    const h = await execa(bpftool, ['btf', 'dump', 'file', join(tmp, 'btf'), 'format', 'c'], { reject: false });
    if (h.exitCode !== 0) throw new InfraError(`bpftool could not dump the BTF of ${target.describe}: ${h.stderr}`);
    writeFileSync(join(tmp, 'include', 'vmlinux.h'), h.stdout);
  });
  return {
    name, release: target.release, origin: `the running kernel of ${target.describe}`,
    includeDirs: [...(tools?.includeDirs ?? []), join(dir, 'include')], tree: tools?.tree, config: hasConfig ? join(dir, 'config') : undefined, btf: join(dir, 'btf'),
  };
}

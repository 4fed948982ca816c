// The guest image: an initramfs of busybox, dropbear, bpftool (with their shared
// libraries), the kernel's network modules, and the init scripts in vm/qemu/image/guest/.
// Cached by a hash of its content; the SSH host key is made once per image.
import { execa } from 'execa';
import { createHash } from 'node:crypto';
import {
  chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { InfraError } from '../../../common/errors.js';
import { cacheDir, repoRoot } from '../../../common/paths.js';
import { publishOnce } from '../../../common/publish.js';
import { emit } from '../../../common/progress.js';
import type { KernelArtifacts } from '../../../kernels/recipe/artifacts.js';
import { clientKey } from '../../transport/keys.js';
import { requireCommand } from '../../../common/host-commands.js';
import { hostLibrary, sharedLibraries } from './host-files.js';
import { selftestTools } from '../../helpers/selftest-helper.js';
import { guestHelper, guestHelperPath } from '../../helpers/guest-helpers.js';
import { GUEST_MODULES, moduleLoadOrder } from './modules.js';

/** Where the selftest loader lives in guests (vm/helpers/guest/selftest/bpf-harness-selftest.c). */
export const SELFTEST_LOADER = '/bin/bpf-harness-selftest';

export interface GuestImage {
  initramfs: string;
  /** The image's SSH host key, OpenSSH public key line ("ssh-ed25519 AAAA..."). */
  hostKey: string;
  hash: string;
}

interface FileEntry {
  guest: string;
  /** Host file to copy, or literal content. */
  host?: string;
  content?: string;
  mode?: number;
}

/** Guest binaries: the host's busybox and dropbear; bpftool from the kernel's own tree when it was built. */
function guestTools(kernel: KernelArtifacts) {
  return {
    busybox: requireCommand('busybox', 'busybox-static'),
    dropbear: requireCommand('dropbear', 'dropbear-bin'),
    bpftool: kernel.bpftool ?? requireCommand('bpftool', 'bpftool'),
    // util-linux's: busybox's setpriv cannot change uid (as: user, as: {caps}).
    setpriv: requireCommand('setpriv', 'util-linux'),
    // iproute2's, in place of busybox's applets: test_progs' network tests run `ip netns add`, `ip link add ... type veth`, `tc qdisc`.
    ip: requireCommand('ip', 'iproute2'),
    tc: requireCommand('tc', 'iproute2'),
  };
}

async function imageFiles(kernel: KernelArtifacts, authorizedKey: string): Promise<FileEntry[]> {
  const tools = { ...guestTools(kernel), token: await guestHelper('token'), resume: await guestHelper('resume') };
  // The selftest loader and veristat are built from the kernel's own tree: kernels without one have neither.
  const st = kernel.tree ? await selftestTools(kernel.tree) : undefined;
  const stBins = [st?.loader, st?.veristat].filter((b): b is string => !!b);
  const files: FileEntry[] = [
    ...(st ? [{ guest: SELFTEST_LOADER, host: st.loader, mode: 0o755 }] : []),
    ...(st?.veristat ? [{ guest: '/bin/veristat', host: st.veristat, mode: 0o755 }] : []),
    { guest: '/bin/busybox', host: tools.busybox, mode: 0o755 },
    { guest: '/bin/dropbear', host: tools.dropbear, mode: 0o755 },
    { guest: '/bin/bpftool', host: tools.bpftool, mode: 0o755 },
    { guest: '/bin/setpriv', host: tools.setpriv, mode: 0o755 },
    { guest: '/bin/ip', host: tools.ip, mode: 0o755 },
    { guest: '/bin/tc', host: tools.tc, mode: 0o755 },
    { guest: guestHelperPath('token'), host: tools.token, mode: 0o755 },
    { guest: guestHelperPath('resume'), host: tools.resume, mode: 0o755 },
  ];
  const libs = new Set<string>();
  for (const bin of [tools.dropbear, tools.bpftool, tools.busybox, tools.setpriv, tools.ip, tools.tc, tools.token, tools.resume, ...stBins]) for (const l of await sharedLibraries(bin)) libs.add(l);
  // Statically linked programs (the tree's test_progs) still dlopen it for pthread_exit and pthread_cancel.
  const gcc = await hostLibrary('libgcc_s.so.1');
  if (gcc) libs.add(gcc);
  for (const l of [...libs].sort()) files.push({ guest: l, host: l, mode: 0o755 });

  // The NIC's modules, then the recipe's own (bpf_testmod for the selftests kernel).
  const modules = kernel.modulesDir ? moduleLoadOrder(kernel.modulesDir, [...GUEST_MODULES, ...(kernel.bootModules ?? [])]) : [];
  // The recipe's other modules (installed in updates/, like bpf_test_no_cfi.ko) are there for a test to load itself.
  const updates = kernel.modulesDir ? join(kernel.modulesDir, 'updates') : undefined;
  const unloaded = updates && existsSync(updates) ? readdirSync(updates).map((f) => `updates/${f}`).filter((m) => !modules.includes(m)).sort() : [];
  for (const m of [...modules, ...unloaded]) files.push({ guest: `/lib/modules/${m}`, host: join(kernel.modulesDir!, m), mode: 0o644 });
  const guestSrc = join(repoRoot, 'vm', 'qemu', 'image', 'guest');
  files.push(
    { guest: '/etc/inittab', host: join(guestSrc, 'inittab'), mode: 0o644 },
    { guest: '/etc/init.d/rcS', host: join(guestSrc, 'rcS'), mode: 0o755 },
    { guest: '/etc/modules-load', content: modules.map((m) => `${m.replace(/\.(xz|zst|gz)$/, '')}\n`).join('') },
    { guest: '/etc/passwd', content: 'root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:user:/home/user:/bin/sh\n' },
    { guest: '/etc/group', content: 'root:x:0:\nuser:x:1000:\n' },
    { guest: '/etc/shells', content: '/bin/sh\n' },
    { guest: '/root/.ssh/authorized_keys', content: authorizedKey + '\n', mode: 0o600 },
  );
  return files;
}

function hashFiles(files: FileEntry[]): string {
  const h = createHash('sha256');
  h.update('bpf-harness-image-v1\0');
  for (const f of files) {
    h.update(`${f.guest}\0${f.mode ?? 0}\0`);
    h.update(f.host ? readFileSync(f.host) : f.content ?? '');
    h.update('\0');
  }
  return h.digest('hex').slice(0, 16);
}

async function decompressModule(src: string, dest: string): Promise<void> {
  const tool = src.endsWith('.xz') ? 'xz' : src.endsWith('.zst') ? 'zstd' : src.endsWith('.gz') ? 'gzip' : undefined;
  if (!tool) return copyFileSync(src, dest);
  // busybox insmod cannot read compressed modules.
  await execa(tool, ['-dc', src], { stdout: { file: dest } });
}

async function stage(root: string, files: FileEntry[]): Promise<void> {
  for (const d of ['proc', 'sys', 'dev', 'tmp', 'run', 'root', 'home/user', 'etc/dropbear', 'var/log', 'lib/modules']) {
    mkdirSync(join(root, d), { recursive: true });
  }
  chmodSync(join(root, 'root'), 0o700);
  for (const f of files) {
    const dest = join(root, f.guest.replace(/\.(xz|zst|gz)$/, ''));
    mkdirSync(dirname(dest), { recursive: true });
    if (f.host && /\.ko\.(xz|zst|gz)$/.test(f.host)) await decompressModule(f.host, dest);
    else if (f.host) copyFileSync(f.host, dest);
    else writeFileSync(dest, f.content ?? '');
    chmodSync(dest, f.mode ?? 0o644);
  }
  chmodSync(join(root, 'root', '.ssh'), 0o700);
  // One directory for every command; the usual names point at it.
  for (const alias of ['sbin', 'usr/bin', 'usr/sbin']) {
    mkdirSync(dirname(join(root, alias)), { recursive: true });
    symlinkSync(alias.startsWith('usr/') ? '../bin' : 'bin', join(root, alias));
  }
  const applets = (await execa(join(root, 'bin', 'busybox'), ['--list'])).stdout.split('\n').filter(Boolean);
  for (const a of applets) if (!existsSync(join(root, 'bin', a))) symlinkSync('busybox', join(root, 'bin', a));
  symlinkSync('bin/busybox', join(root, 'init'));
}

/** Build (or find in the cache) the guest image for this kernel. */
export async function guestImage(kernel: KernelArtifacts): Promise<GuestImage> {
  const key = await clientKey();
  const files = await imageFiles(kernel, key.publicLine);
  const hash = hashFiles(files);
  const dir = cacheDir('images', hash);
  const done = join(dir, 'image.json');
  return publishOnce(dir, done, `building guest image ${hash}`, () => JSON.parse(readFileSync(done, 'utf8')) as GuestImage, async (tmp) => {
    emit({ type: 'image', phase: 'start', kernel: kernel.name, hash });
    const root = join(tmp, 'root');
    mkdirSync(root, { recursive: true });
    await stage(root, files);
    // The host key is made here once and pinned by the client for this image's lifetime.
    const kg = await execa('dropbearkey', ['-t', 'ed25519', '-f', join(root, 'etc', 'dropbear', 'host_key')]);
    const hostKey = /^(ssh-ed25519 \S+)/m.exec(kg.stdout)?.[1];
    if (!hostKey) throw new InfraError(`dropbearkey printed no public key:\n${kg.stdout}`);
    const list = (await execa('find', ['.', '-mindepth', '1'], { cwd: root })).stdout.split('\n').sort().join('\n') + '\n';
    await execa('cpio', ['--quiet', '-o', '-H', 'newc', '-R', '0:0'], {
      cwd: root, input: list, stdout: { file: join(tmp, 'initramfs.cpio') },
    });
    rmSync(root, { recursive: true, force: true });
    const image: GuestImage = { initramfs: join(dir, 'initramfs.cpio'), hostKey, hash };
    writeFileSync(join(tmp, 'image.json'), JSON.stringify(image, null, 2));
    emit({ type: 'image', phase: 'end', kernel: kernel.name, hash });
  });
}

// Kernels of kind `debian-image`: Debian's prebuilt linux-image packages, fetched with
// `apt-get download` and unpacked into the cache, keyed by package version.
import { archInfo, DEFAULT_ARCH } from '../../common/arch.js';
import { execa } from 'execa';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { cacheDir } from '../../common/paths.js';
import { progress } from '../../common/progress.js';
import { BadInputError, InfraError } from '../../common/errors.js';
import { readArtifacts, type KernelArtifacts } from '../recipe/artifacts.js';
import { cachedImageTools, imageSourceDir, imageTools, type ImageTools } from './image-tools.js';
import { publishOnce } from '../../common/publish.js';
import { requireCommand } from '../../common/host-commands.js';
import { candidateVersion, downloadDeb } from '../../common/apt.js';

interface PackageChoice {
  pkg: string;
  version: string;
  note?: string;
}

/** The Debian flavour of the images we fetch (the architecture table's name for it). */
const FLAVOUR = archInfo(DEFAULT_ARCH).debian;

/** linux-image-6.12.117+deb12-amd64 -> packages of the same series (6.12, the same flavour). */
function seriesPattern(pkg: string): RegExp | undefined {
  const m = new RegExp(`^linux-image-(\\d+\\.\\d+)\\.[^-]+(?:-\\d+)?(?:\\+deb\\d+)?-${FLAVOUR}$`).exec(pkg) ??
    new RegExp(`^linux-image-(\\d+\\.\\d+)\\.\\d+-\\d+-${FLAVOUR}$`).exec(pkg);
  if (!m) return undefined;
  const series = m[1]!.replace('.', '\\.');
  return new RegExp(`^linux-image-${series}\\.[0-9][0-9.+a-z-]*-${FLAVOUR}$`);
}

async function newestOfSeries(pkg: string): Promise<PackageChoice | undefined> {
  const re = seriesPattern(pkg);
  if (!re) return undefined;
  const r = await execa('apt-cache', ['search', '--names-only', '^linux-image-'], { reject: false });
  const names = r.stdout.split('\n').map((l) => l.split(' ')[0] ?? '')
    .filter((n) => re.test(n) && !/-(cloud|rt|dbg|unsigned)-/.test(n));
  let best: PackageChoice | undefined;
  for (const name of names) {
    const version = await candidateVersion(name);
    if (!version) continue;
    if (!best || (await execa('dpkg', ['--compare-versions', version, 'gt', best.version], { reject: false })).exitCode === 0) {
      best = { pkg: name, version };
    }
  }
  return best && { ...best, note: `${pkg} is no longer in the archive; using the newest of its series, ${best.pkg}` };
}

async function choosePackage(pkg: string, recipeFile: string): Promise<PackageChoice> {
  const version = await candidateVersion(pkg);
  if (version) return { pkg, version };
  const newest = await newestOfSeries(pkg);
  if (newest) return newest;
  throw new BadInputError(
    `${recipeFile}: debian-image package ${pkg} is not available from apt and no package of its series is`,
    { file: recipeFile, hint: 'run `apt-get update`, or name a package listed by `apt-cache search --names-only ^linux-image-`' },
  );
}

/**
 * The unpacked image, with the bpftool and libbpf headers of its own source package when
 * there is one, and a vmlinux.h from the image's own BTF.
 */
export async function fetchDebianImage(name: string, pkg: string, recipeFile: string): Promise<KernelArtifacts> {
  const choice = await choosePackage(pkg, recipeFile);
  const art = await unpackedImage(name, choice);
  const tools = await imageTools(art.release, choice.version);
  if (!tools) return art;
  return withTools(art, tools, await imageBtf(art, tools.bpftool, tools.tree.dir));
}

/** What fetchDebianImage gives, when all of it is in the cache already; undefined where it would fetch or make something. */
export async function cachedDebianImage(name: string, pkg: string, recipeFile: string): Promise<KernelArtifacts | undefined> {
  const choice = await choosePackage(pkg, recipeFile);
  const art = readArtifacts(imageStamp(choice));
  if (!art) return undefined;
  const tools = await cachedImageTools(art.release, choice.version);
  if (tools === 'none') return { ...art, name };
  const btf = btfPlace(art);
  return tools && existsSync(btf.vmlinuxH) ? withTools({ ...art, name }, tools, btf) : undefined;
}

/** The source tree the image's tools and selftests come from (imported yet or not), known without unpacking the image. */
export async function debianImageSourceDir(pkg: string, recipeFile: string): Promise<string | undefined> {
  const choice = await choosePackage(pkg, recipeFile);
  // The package's name holds its release: linux-image-6.12.117+deb12-amd64, linux-image-6.1.0-50-amd64.
  return imageSourceDir(choice.pkg.replace(/^linux-image-/, ''), choice.version);
}

function withTools(art: KernelArtifacts, tools: ImageTools, btf: { vmlinux: string; vmlinuxH: string }): KernelArtifacts {
  return { ...art, ...btf, bpftool: tools.bpftool, includeDirs: [...tools.includeDirs, dirname(btf.vmlinuxH)], tree: tools.tree };
}

/** bzImage is <image dir>/root/boot/vmlinuz-*: the BTF goes beside the image dir. */
function btfPlace(art: KernelArtifacts): { dir: string; vmlinux: string; vmlinuxH: string } {
  const dir = `${dirname(dirname(dirname(art.bzImage)))}.btf`;
  return { dir, vmlinux: join(dir, 'vmlinux'), vmlinuxH: join(dir, 'include', 'vmlinux.h') };
}

/**
 * The image's vmlinux (an ELF holding .BTF, as the running kernel exposes it in
 * /sys/kernel/btf/vmlinux) taken out of vmlinuz with the source tree's own
 * scripts/extract-vmlinux, and vmlinux.h dumped from it: no guest has to boot first.
 */
async function imageBtf(art: KernelArtifacts, bpftool: string, tree: string): Promise<{ vmlinux: string; vmlinuxH: string }> {
  const { dir, vmlinux, vmlinuxH } = btfPlace(art);
  return publishOnce(dir, vmlinuxH, `extracting BTF of ${art.release}`, () => ({ vmlinux, vmlinuxH }), async (tmp) => {
    progress(`extracting vmlinux and its BTF from ${basename(art.bzImage)}`);
    const ex = await execa(join(tree, 'scripts', 'extract-vmlinux'), [art.bzImage], { encoding: 'buffer', reject: false, maxBuffer: 1 << 30 });
    // The script exits 0 with nothing on stdout when it finds no vmlinux (a decompressor missing).
    if (ex.exitCode !== 0 || ex.stdout.length === 0) {
      throw new InfraError(`scripts/extract-vmlinux ${art.bzImage} found no vmlinux: ${Buffer.from(ex.stderr).toString().trim()} (are xz-utils, zstd and binutils installed?)`);
    }
    writeFileSync(join(tmp, 'vmlinux'), ex.stdout);
    const dump = await execa(bpftool, ['btf', 'dump', 'file', join(tmp, 'vmlinux'), 'format', 'c'], { maxBuffer: 512 * 1024 * 1024, reject: false });
    if (dump.exitCode !== 0) throw new InfraError(`bpftool btf dump of ${art.release}'s vmlinux failed: ${dump.stderr}`);
    mkdirSync(join(tmp, 'include'));
    writeFileSync(join(tmp, 'include', 'vmlinux.h'), dump.stdout);
  });
}

const imageStamp = (c: PackageChoice) => join(cacheDir('kernels', 'debian-image', `${c.pkg}_${c.version}`.replace(/[^A-Za-z0-9._-]/g, '_')), 'artifacts.json');

async function unpackedImage(name: string, choice: PackageChoice): Promise<KernelArtifacts> {
  if (choice.note) progress(choice.note);
  const stamp = imageStamp(choice);
  const dir = dirname(stamp);
  const read = () => ({ ...readArtifacts(stamp)!, name });
  const published = () => readArtifacts(stamp) !== undefined;
  return publishOnce(dir, stamp, `unpacking ${choice.pkg}`, read, async (tmp) => {
    const deb = await downloadDeb(choice.pkg, choice.version, FLAVOUR);
    progress(`unpacking ${basename(deb)}`);
    await execa('dpkg-deb', ['-x', deb, join(tmp, 'root')]);
    const boot = readdirSync(join(tmp, 'root', 'boot'));
    const vmlinuz = boot.find((f) => f.startsWith('vmlinuz-'));
    const config = boot.find((f) => f.startsWith('config-'));
    if (!vmlinuz || !config) throw new InfraError(`${basename(deb)} holds no boot/vmlinuz-* or boot/config-*`);
    const release = vmlinuz.slice('vmlinuz-'.length);
    // The package ships no modules.dep (postinst makes it); the guest needs it to load modules in order.
    await execa(requireCommand('depmod', 'kmod'), ['-b', join(tmp, 'root'), release]);
    const root = join(dir, 'root');
    const art: KernelArtifacts = {
      name,
      release,
      origin: `Debian ${choice.pkg} ${choice.version}`,
      bzImage: join(root, 'boot', vmlinuz),
      config: join(root, 'boot', config),
      modulesDir: join(root, 'lib', 'modules', release),
    };
    writeFileSync(join(tmp, 'artifacts.json'), JSON.stringify(art, null, 2));
  }, published);
}

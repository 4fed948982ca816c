// The build cache key: everything that decides the build's bytes. The resolved .config
// is a function of these (source, patches, base, fragments, toolchain), so hashing the
// inputs keys it without running kconfig first, and a cache hit stays cheap.
import { execa } from 'execa';
import { createHash } from 'node:crypto';
import { CLANG } from '../../common/host-commands.js';
import type { ConfigBase, FragmentRef } from '../recipe/recipe.js';
import { INPUT_LIMITS, readUserFile } from '../../common/input-file.js';

const TOOLCHAIN = [['gcc', '--version'], ['ld', '--version'], ['pahole', '--version'], ['make', '--version'], [CLANG, '--version']];

/** First line of each tool's --version ("missing" when absent). */
export async function toolchainVersions(): Promise<string[]> {
  return Promise.all(TOOLCHAIN.map(async ([cmd, arg]) => {
    const r = await execa(cmd!, [arg!], { reject: false });
    return `${cmd}: ${r.exitCode === 0 ? r.stdout.split('\n')[0] : 'missing'}`;
  }));
}

/** Environment that changes what kbuild produces (make reads these from the environment). */
const BUILD_ENV = /^(ARCH|CROSS_COMPILE|LLVM|LLVM_IAS|CC|HOSTCC|LD|KCFLAGS|KCPPFLAGS|KAFLAGS|KRUSTFLAGS|KBUILD_\w+|INSTALL_MOD_STRIP)$/;

export function buildEnvironment(): string[] {
  return Object.entries(process.env).filter(([k]) => BUILD_ENV.test(k)).map(([k, v]) => `${k}=${v}`).sort();
}

export interface KeyInputs {
  sourceIdentity: string;
  patches: Buffer[];
  base: ConfigBase;
  fragments: FragmentRef[];
  /** Options left out of the fragments (recipe config.drop). */
  drop?: Record<string, string>;
  /** Out-of-tree modules of the tree built with the kernel. */
  modules?: string[];
  toolchain: string[];
}

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

/** A tree's fragment is named by its path: its bytes are part of the source's identity. */
export function configHash(base: ConfigBase, fragments: FragmentRef[], drop: Record<string, string> = {}): string {
  const h = createHash('sha256');
  h.update(base.kind === 'file' ? `file:${sha(readUserFile(base.file, INPUT_LIMITS.patch))}` : base.kind);
  for (const f of fragments) h.update(`\0${typeof f === 'string' ? sha(readUserFile(f, INPUT_LIMITS.patch)) : `tree:${f.tree}`}`);
  // Only when set, so hashes made before drop: existed stay valid.
  const dropped = Object.keys(drop).sort();
  if (dropped.length) h.update(`\0drop:${dropped.join(',')}`);
  return h.digest('hex').slice(0, 12);
}

export function cacheKey(k: KeyInputs): string {
  return sha(JSON.stringify({
    v: 1,
    source: k.sourceIdentity,
    patches: k.patches.map(sha),
    config: configHash(k.base, k.fragments, k.drop),
    ...(k.modules?.length ? { modules: k.modules } : {}),
    toolchain: k.toolchain,
    // Only when set, so keys made before this input was added stay valid.
    ...(buildEnvironment().length ? { env: buildEnvironment() } : {}),
  })).slice(0, 16);
}

// BPF programs are compiled on the host with clang-19 -target bpf, cached by
// everything that decides the object: source and sibling headers, flags, clang version.
import { archInfo, type Arch } from '../../common/arch.js';
import { execa } from 'execa';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { isInside } from '../../common/contained.js';
import { BadInputError } from '../../common/errors.js';
import { CLANG } from '../../common/host-commands.js';
import { cacheDir } from '../../common/paths.js';
import { INPUT_LIMITS, readUserFile } from '../../common/input-file.js';


/** What clang needs to know of the kernel's architecture (bpf_tracing.h's registers) goes in the middle: the flags' order is part of the cache key. */
const flagsFor = (arch?: Arch) => ['-target', 'bpf', '-O2', '-g', '-mcpu=v3', `-D${archInfo(arch).bpfTargetArch}`, '-Wall', '-Wno-unused-function'];
const archIncludes = (arch?: Arch) => [`-I${archInfo(arch).multiarchInclude}`];

let clangVersion: Promise<string> | undefined;

function versionOfClang(): Promise<string> {
  clangVersion ??= execa(CLANG, ['--version']).then(
    (r) => r.stdout.split('\n')[0] ?? '',
    () => {
      throw new BadInputError(`${CLANG} is not installed`, { hint: 'run `bash scripts/setup.sh` (installs clang-19), or set BPF_HARNESS_CLANG' });
    },
  );
  return clangVersion;
}

/** libbpf-dev's headers, which every program includes: an upgrade must rebuild. */
const LIBBPF_HEADERS = ['/usr/include/bpf/bpf_helpers.h', '/usr/include/bpf/bpf_helper_defs.h', '/usr/include/bpf/bpf_tracing.h', '/usr/include/linux/bpf.h'];

/** Hash of the source, every header beside it (scenario programs include their own helpers), and libbpf's. */
function sourceHash(src: string): string {
  const h = createHash('sha256');
  h.update(readUserFile(src, INPUT_LIMITS.source));
  for (const f of LIBBPF_HEADERS.filter((f) => existsSync(f))) h.update(`\0${f}\0`).update(readFileSync(f));
  const dir = dirname(src);
  for (const f of readdirSync(dir).filter((f) => f.endsWith('.h')).sort()) {
    h.update(`\0${f}\0`);
    h.update(readUserFile(join(dir, f), INPUT_LIMITS.source, 'a header beside a program is read with it'));
  }
  return h.digest('hex');
}

const dirHashes = new Map<string, string>();

/** Hash of every file under an include dir (a kernel's vmlinux.h and libbpf headers), once per process. */
function includeDirHash(dir: string): string {
  let h = dirHashes.get(dir);
  if (h) return h;
  const hash = createHash('sha256');
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else hash.update(`\0${p}\0`).update(readFileSync(p));
    }
  };
  if (existsSync(dir)) walk(dir);
  h = hash.digest('hex');
  dirHashes.set(dir, h);
  return h;
}

export interface BuildOptions {
  /** More clang flags (the selftests Makefile's). */
  flags?: string[];
  /**
   * A user's source (not the kernel tree's): every file it includes must lie in this
   * folder (the scenario's sandbox) or on the include path (see includesLeaving).
   */
  sandbox?: string;
  /** Include dirs after includeDirs whose content is fixed by an identity (a tree commit), hashed by it instead of walked. */
  fixed?: { dirs: string[]; identity: string };
  /** The kernel's architecture; absent: DEFAULT_ARCH. */
  arch?: Arch;
}

/** Where the object of src built so is cached, and the clang flags and include path that build it. */
async function objectPlace(src: string, includeDirs: string[], opts: BuildOptions): Promise<{ obj: string; flags: string[]; includes: string[] }> {
  const version = await versionOfClang();
  const flags = [...flagsFor(opts.arch), ...(opts.flags ?? [])];
  const includes = [...[...includeDirs, ...(opts.fixed?.dirs ?? [])].flatMap((d) => ['-I', d]), ...archIncludes(opts.arch)];
  const key = createHash('sha256')
    // Not where the source or its sandbox lies: a fresh clone of a repository finds the
    // objects an earlier clone compiled. A sandboxed source's other reads are checked
    // against the object's manifest instead (sandboxedHit).
    .update(`${sourceHash(src)}\0${version}\0${flags.join(' ')}\0${includes.join(' ')}\0${includeDirs.map(includeDirHash).join(',')}${opts.fixed ? `\0${opts.fixed.identity}` : ''}${opts.sandbox ? '\0sandboxed' : ''}`)
    .digest('hex')
    .slice(0, 20);
  return { obj: join(cacheDir('objects'), `${key}.o`), flags, includes };
}

/**
 * A sandboxed source's manifest: every file the preprocessor read for it (headers in a
 * parent folder too, which the key does not hash), each with the hash of its bytes; the
 * files inside the sandbox by their path from the source's folder, so that another
 * clone's copy of the same repository matches.
 */
interface Manifest {
  files: { path: string; relative: boolean; sha: string }[];
}

const manifestOf = (obj: string) => obj.replace(/\.o$/, '.deps.json');
const fileSha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');

function writeManifest(obj: string, src: string, sandbox: string, files: string[]): void {
  const m: Manifest = {
    files: files.map((f) => {
      const mine = isInside(sandbox, f);
      return { path: mine ? relative(dirname(src), f) : f, relative: mine, sha: fileSha(f) };
    }),
  };
  writeFileSync(`${manifestOf(obj)}.${process.pid}.tmp`, JSON.stringify(m));
  renameSync(`${manifestOf(obj)}.${process.pid}.tmp`, manifestOf(obj));
}

/**
 * Whether the cached object of a sandboxed source still holds: every file its manifest
 * names is there (relative ones beside this source), has the same bytes, and lies
 * inside the allowed roots after symlinks. Anything else compiles again, and that
 * compile refuses a read outside the sandbox with its own message.
 */
async function sandboxedHit(obj: string, src: string, roots: string[]): Promise<boolean> {
  let m: Manifest;
  try {
    m = JSON.parse(readFileSync(manifestOf(obj), 'utf8')) as Manifest;
  } catch {
    return false;
  }
  const allowed = [...roots, ...(await includeRootsOfSystem())];
  return m.files.every(({ path, relative: rel, sha }) => {
    const f = rel ? resolve(dirname(src), path) : path;
    try {
      return allowed.some((root) => isInside(root, f)) && fileSha(f) === sha;
    } catch {
      return false;
    }
  });
}

/** A compile that takes this long is stuck (an include of a FIFO or device), not slow. */
const COMPILE_TIMEOUT_MS = 10 * 60 * 1000;

/** Where the compiler's own headers and the system's are: always allowed. */
let systemRoots: Promise<string[]> | undefined;
function includeRootsOfSystem(): Promise<string[]> {
  systemRoots ??= execa(CLANG, ['-print-resource-dir'], { reject: false }).then((r) => ['/usr/include', ...(r.exitCode === 0 && r.stdout.trim() ? [r.stdout.trim()] : [])]);
  return systemRoots;
}

/** The files of a make rule's prerequisites (clang -M output): "obj: a b \\\n c", with "\\ " in names. */
export function ruleFiles(rule: string): string[] {
  const body = rule.replace(/\\\n/g, ' ');
  const after = body.slice(body.indexOf(': ') + 2);
  return (after.match(/(?:\\ |[^\s])+/g) ?? []).map((f) => f.replace(/\\ /g, ' '));
}

/**
 * The rule for a user's program: clang may read only files in the scenario's sandbox
 * and on the include path (the kernel's headers, the tree's, the system's and clang's
 * own), since its errors quote the lines of what it read into the report. The files
 * are listed first by the preprocessor (-M -MG: it lists #include, #embed and
 * __has_include targets, missing ones too, and its messages are not shown), and a
 * program that names any other file is refused before it is compiled.
 */
async function refuseIncludesLeaving(src: string, args: string[], roots: string[], tmp: string): Promise<string[]> {
  const dep = `${tmp}.d`;
  try {
    await execa(CLANG, [...args, '-M', '-MG', '-MF', dep, src], { reject: false, timeout: COMPILE_TIMEOUT_MS });
    const listed = existsSync(dep) ? ruleFiles(readFileSync(dep, 'utf8')) : [];
    const allowed = [...roots, ...(await includeRootsOfSystem())];
    const read = listed.map((f) => resolve(f)).filter((f) => existsSync(f));
    const outside = read.filter((f) => !allowed.some((root) => isInside(root, f)));
    if (!outside.length) return read;
    const rel = relative(process.cwd(), src);
    throw new BadInputError(`${rel}: reads ${outside.slice(0, 5).join(', ')}${outside.length > 5 ? ` and ${outside.length - 5} more` : ''}, outside the scenario's folder (or repository) and the include path, after symlinks: not compiled`, {
      file: rel,
      hint: 'copy the header into the scenario\'s folder and include it from there',
    });
  } finally {
    rmSync(dep, { force: true });
  }
}

/** The object buildProgram would return, when it is compiled already; nothing is compiled. */
export async function compiledObject(src: string, includeDirs: string[] = [], opts: BuildOptions = {}): Promise<string | undefined> {
  const { obj } = await objectPlace(src, includeDirs, opts);
  return (await cached(obj, src, includeDirs, opts)) ? obj : undefined;
}

const sandboxRoots = (sandbox: string, includeDirs: string[], opts: BuildOptions) => [sandbox, ...includeDirs, ...(opts.fixed?.dirs ?? [])];

async function cached(obj: string, src: string, includeDirs: string[], opts: BuildOptions): Promise<boolean> {
  if (!existsSync(obj)) return false;
  return !opts.sandbox || sandboxedHit(obj, src, sandboxRoots(opts.sandbox, includeDirs, opts));
}

/**
 * Compile one program source to a BPF object; returns the object path in the cache.
 * includeDirs come first on the include path: a built kernel's own libbpf headers,
 * tools/sched_ext/include and vmlinux.h, so a program is built against that kernel's BTF.
 */
export async function buildProgram(src: string, includeDirs: string[] = [], opts: BuildOptions = {}): Promise<string> {
  const { obj, flags, includes } = await objectPlace(src, includeDirs, opts);
  if (await cached(obj, src, includeDirs, opts)) return obj;
  mkdirSync(dirname(obj), { recursive: true });
  const tmp = `${obj}.${process.pid}.tmp`;
  const args = [...flags, '-I', dirname(src), ...includes];
  const read = opts.sandbox ? await refuseIncludesLeaving(src, args, sandboxRoots(opts.sandbox, includeDirs, opts), tmp) : undefined;
  const r = await execa(CLANG, [...args, '-c', src, '-o', tmp], { reject: false, all: true, timeout: COMPILE_TIMEOUT_MS });
  if (r.timedOut) throw new BadInputError(`${relative(process.cwd(), src)}: ${CLANG} did not finish in ${COMPILE_TIMEOUT_MS / 60000} minutes`, { file: relative(process.cwd(), src), hint: 'check what the program includes (a device or FIFO never ends)' });
  if (r.exitCode !== 0) {
    const rel = relative(process.cwd(), src);
    const first = /^(.*?):(\d+):(\d+): error: (.*)$/m.exec(r.all ?? '');
    throw new BadInputError(`${rel}: does not compile with ${CLANG}:\n${(r.all ?? '').trim()}`, {
      file: rel,
      line: first ? Number(first[2]) : undefined,
      col: first ? Number(first[3]) : undefined,
      hint: 'fix the program source (the compiler output above names the line)',
    });
  }
  // The manifest first: an object without its manifest is a miss, never a hit unchecked.
  if (read) writeManifest(obj, src, opts.sandbox!, read);
  renameSync(tmp, obj);
  return obj;
}

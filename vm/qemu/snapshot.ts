// Snapshots of booted guests: QEMU's migration stream of a guest saved once it answered
// SSH, before anything scenario-specific ran in it. A new QEMU with the same command line
// and `-incoming` continues from there, so a guest costs a restore instead of a boot.
// One snapshot per (kernel, guest image, QEMU binary, QEMU arguments less the SSH port,
// host CPU under KVM); the newest few per kernel are kept.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir } from '../../common/paths.js';
import { duBytes } from '../../common/disk-usage.js';
import { tryLock } from '../../common/lock.js';
import { archInfo, type Arch } from '../../common/arch.js';
import { requireCommand } from '../../common/host-commands.js';
import { alive } from '../../common/lease.js';
import { publishDir, scratchPid } from '../../common/publish.js';
import { shellQuote } from '../transport/ssh.js';
import type { KernelArtifacts } from '../../kernels/recipe/artifacts.js';
import type { GuestImage } from './image/build.js';
import type { Accel } from './accel.js';
import type { Qmp } from './qmp.js';

export interface SnapshotMeta {
  key: string;
  kernel: string;
  release: string;
  /** The kernel it belongs to: gone from the cache, the snapshot goes too (kernel gc). */
  bzImage: string;
  image: string;
  accel: Accel;
  qemu: string;
  /** QEMU's arguments, with port 0 for SSH's. */
  args: string[];
  savedAt: string;
  /** The cold boot it was taken after, to SSH-ready. */
  bootMs: number;
  bytes: number;
}

export interface Snapshot {
  dir: string;
  /** The migration stream. */
  state: string;
  meta: SnapshotMeta;
}

/** Snapshots kept per kernel: older ones (another memory size, an older image) go when a new one is saved. */
const KEEP_PER_KERNEL = 4;
const MIGRATE_TIMEOUT_MS = 120000;

const root = () => cacheDir('snapshots');

const qemuIds = new Map<string, string>();
/** The QEMU binary: its version line, size and time (a rebuilt or upgraded QEMU may not read old streams). */
function qemuIdentity(arch?: Arch): string {
  const q = archInfo(arch).qemu;
  const known = qemuIds.get(q.binary);
  if (known) return known;
  const bin = requireCommand(q.binary, q.package);
  const st = statSync(bin);
  const version = execFileSync(bin, ['--version'], { encoding: 'utf8' }).split('\n')[0]!.trim();
  const id = `${version}|${st.size}|${st.mtimeMs}`;
  qemuIds.set(q.binary, id);
  return id;
}

/** Under KVM the guest sees the host's CPU (-cpu host); a stream from another CPU model may not load. */
function hostCpu(): string {
  const info = readFileSync('/proc/cpuinfo', 'utf8');
  return [/^model name\s*:(.*)$/m, /^flags\s*:(.*)$/m].map((re) => re.exec(info)?.[1]?.trim() ?? '').join('|');
}

/**
 * parts: the QEMU line built with port 0 (each guest forwards SSH from a port of its own,
 * which the stream does not hold), and whatever else the saved guest holds that the
 * harness put there.
 */
export function snapshotKey(kernel: KernelArtifacts, image: GuestImage, accel: Accel, parts: string[]): { key: string; qemu: string } {
  const qemu = qemuIdentity(kernel.arch);
  const k = statSync(kernel.bzImage);
  const h = createHash('sha256').update('bpf-harness snapshot v1\0');
  for (const part of [kernel.bzImage, String(k.size), String(k.mtimeMs), image.hash, qemu, accel === 'kvm' ? hostCpu() : '', ...parts]) h.update(`${part}\0`);
  return { key: h.digest('hex').slice(0, 16), qemu };
}

function read(dir: string): Snapshot | undefined {
  try {
    const meta = JSON.parse(readFileSync(join(dir, 'snapshot.json'), 'utf8')) as SnapshotMeta;
    const state = join(dir, 'state');
    // Written by another version, or cut short: not one to restore.
    const whole = typeof meta.kernel === 'string' && typeof meta.bzImage === 'string' && Array.isArray(meta.args) && statSync(state).size === meta.bytes;
    return whole ? { dir, state, meta } : undefined;
  } catch {
    return undefined;
  }
}

/** The snapshot for key, marked as used now (the newest used are the ones kept). */
export function findSnapshot(key: string): Snapshot | undefined {
  const s = read(join(root(), key));
  if (s) {
    const now = new Date();
    utimesSync(join(s.dir, 'snapshot.json'), now, now);
  }
  return s;
}

export function removeSnapshot(s: Snapshot): void {
  rmSync(s.dir, { recursive: true, force: true });
}

/** Every published snapshot (unreadable ones too, as undefined meta, so gc can clear them). */
export function allSnapshots(): { dir: string; snapshot?: Snapshot; bytes: number; usedMs: number }[] {
  if (!existsSync(root())) return [];
  return readdirSync(root())
    .filter((e) => /^[0-9a-f]{16}$/.test(e))
    .map((e) => {
      const dir = join(root(), e);
      const snapshot = read(dir);
      const st = statSync(join(dir, 'snapshot.json'), { throwIfNoEntry: false });
      return { dir, snapshot, bytes: snapshot?.meta.bytes ?? 0, usedMs: st?.mtimeMs ?? 0 };
    });
}

/** Scratch directories of saves whose process died. */
export function deadSaves(): string[] {
  if (!existsSync(root())) return [];
  return readdirSync(root())
    .filter((e) => {
      const pid = scratchPid(e);
      return pid !== undefined && !alive(pid);
    })
    .map((e) => join(root(), e));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface MigrateStatus {
  status: string;
  'error-desc'?: string;
}

/**
 * Save the running guest behind qmp as the snapshot `key`, then let it run on. Returns
 * undefined when another process is saving the same snapshot now. The stream is written
 * to a scratch directory and renamed into place, so a reader sees a whole one or none.
 */
export async function saveSnapshot(qmp: Qmp, key: string, meta: Omit<SnapshotMeta, 'key' | 'savedAt' | 'bytes'>): Promise<Snapshot | undefined> {
  mkdirSync(root(), { recursive: true });
  const dir = join(root(), key);
  const release = await tryLock(dir);
  if (!release) return undefined;
  try {
    await publishDir(dir, async (tmp) => {
      const state = join(tmp, 'state');
      // Saved while running, so a restored guest runs at once; the source pauses at the end.
      await qmp.execute('migrate', { uri: `exec:cat > ${shellQuote(state)}` });
      const st = await migrated(qmp);
      if (st.status !== 'completed') throw new Error(`QEMU's migration ended ${st.status}${st['error-desc'] ? `: ${st['error-desc']}` : ''}`);
      const full: SnapshotMeta = { ...meta, key, savedAt: new Date().toISOString(), bytes: statSync(state).size };
      writeFileSync(join(tmp, 'snapshot.json'), JSON.stringify(full, null, 2));
    });
    prune(meta.kernel, key);
    return read(dir);
  } finally {
    await release();
  }
}

/** The migration's end, whatever it was; the guest runs on after it either way. */
async function migrated(qmp: Qmp): Promise<MigrateStatus> {
  const t0 = Date.now();
  try {
    for (;;) {
      const st = await qmp.execute<MigrateStatus>('query-migrate');
      if (!['setup', 'active', 'device', 'pre-switchover'].includes(st.status)) return st;
      if (Date.now() - t0 > MIGRATE_TIMEOUT_MS) {
        await qmp.execute('migrate_cancel');
        throw new Error(`saving took over ${MIGRATE_TIMEOUT_MS / 1000} s`);
      }
      await sleep(20);
    }
  } finally {
    // The guest is this run's too: it goes on whatever became of the save.
    await runOn(qmp);
  }
}

interface RunStatus {
  running: boolean;
  status: string;
}

/**
 * cont, until QEMU says the guest runs. "completed" can be reported before the migration's
 * own end moves the guest to postmigrate: a cont sent in between was undone, and the
 * guest stayed paused (SSH then timed out after a save, on a loaded host).
 */
async function runOn(qmp: Qmp): Promise<void> {
  for (const t0 = Date.now(); Date.now() - t0 < RESUME_WAIT_MS; await sleep(50)) {
    await qmp.execute('cont').catch(() => undefined);
    const st = await qmp.execute<RunStatus>('query-status').catch(() => undefined);
    if (!st || st.running) return;
  }
}

/** How long a saved guest gets to be running again. */
const RESUME_WAIT_MS = 10000;

/** Keep the kernel's most recently used snapshots (the one just saved among them). */
function prune(kernel: string, keepKey: string): void {
  const mine = allSnapshots()
    .filter((s) => s.snapshot?.meta.kernel === kernel && s.snapshot.meta.key !== keepKey)
    .sort((a, b) => b.usedMs - a.usedMs);
  for (const s of mine.slice(KEEP_PER_KERNEL - 1)) rmSync(s.dir, { recursive: true, force: true });
}

/**
 * Snapshots go with their kernel (`kernel gc`): those whose kernel image is gone from the
 * cache (all with --all), unreadable ones, and saves whose process died. One being
 * restored is safe to remove: QEMU reads the stream from a descriptor it already holds.
 */
export function gcSnapshots(all: boolean): { removed: string[]; bytes: number } {
  const doomed = [
    ...allSnapshots().filter((s) => all || !s.snapshot || !existsSync(s.snapshot.meta.bzImage)),
    ...deadSaves().map((dir) => ({ dir, bytes: 0 })),
  ];
  let bytes = 0;
  for (const s of doomed) {
    bytes += duBytes(s.dir);
    rmSync(s.dir, { recursive: true, force: true });
  }
  return { removed: doomed.map((s) => s.dir), bytes };
}

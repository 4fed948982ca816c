// Guests from snapshots, on real debian-6.12 guests under QEMU: the first boot of a QEMU
// line saves one, the next restores it (with its own clock and random state, and a
// console log that names the snapshot), --cold-boot ignores it, and a snapshot that
// cannot be loaded is replaced after a cold boot. Each test boots with a kernel command
// line of its own, so its snapshot is its own too, removed at the end.
import t from 'tap';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kernelArtifacts } from '../kernels/resolve.js';
import { guestImage } from '../vm/qemu/image/build.js';
import { chooseAccel } from '../vm/qemu/accel.js';
import { allSnapshots, removeSnapshot, type Snapshot } from '../vm/qemu/snapshot.js';
import { QemuTarget, type QemuOptions } from '../vm/qemu/target.js';
import { cli } from './helpers/cli.js';

const art = await kernelArtifacts('debian-6.12');
const image = await guestImage(art);
const accel = await chooseAccel('auto', art.bzImage);

/** Options for one test: an unknown kernel parameter of its own makes its QEMU line, and so its snapshot, unique. */
function options(extra: Partial<QemuOptions> = {}) {
  const id = randomUUID().slice(0, 8);
  const dir = mkdtempSync(join(tmpdir(), 'bpf-harness-snap-'));
  let n = 0;
  return {
    id,
    opts: (more: Partial<QemuOptions> = {}): QemuOptions => ({ accel, logDir: join(dir, `guest-${++n}`), append: `bpf_harness_test=${id}`, ...extra, ...more }),
    snapshot: (): Snapshot | undefined => allSnapshots().find((s) => s.snapshot?.meta.args.some((a) => a.includes(id)))?.snapshot,
  };
}

/** Progress lines written while fn runs. */
async function progressOf<T>(fn: () => Promise<T>): Promise<{ value: T; lines: string }> {
  let lines = '';
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array) => {
    lines += chunk.toString();
    return true;
  }) as typeof process.stderr.write;
  try {
    return { value: await fn(), lines };
  } finally {
    process.stderr.write = write;
  }
}

const guestSays = async (g: QemuTarget, cmd: string) => (await g.exec(cmd)).stdout.trim();

t.test('the first boot saves a snapshot; later guests restore it with their own clock and randomness', async (t) => {
  const o = options();
  t.teardown(() => {
    const s = o.snapshot();
    if (s) removeSnapshot(s);
  });
  const first = await progressOf(() => QemuTarget.boot(art, image, o.opts()));
  t.teardown(() => first.value.close());
  t.equal(first.value.restoredFrom, undefined, 'the first guest boots cold');
  const snap = o.snapshot();
  t.ok(snap, 'and its snapshot is saved');
  t.match(first.lines, new RegExp(`saved snapshot ${snap?.meta.key} of debian-6.12 \\(\\d+ MB\\)`));
  t.ok(snap!.meta.bytes < 150e6, `at most 150 MB (${(snap!.meta.bytes / 1e6).toFixed(0)} MB)`);
  t.equal(await guestSays(first.value, 'echo still here'), 'still here', 'the saved guest runs on, on a new SSH connection');

  const a = await QemuTarget.boot(art, image, o.opts());
  t.teardown(() => a.close());
  const b = await QemuTarget.boot(art, image, o.opts());
  t.teardown(() => b.close());
  for (const g of [a, b]) {
    t.equal(g.restoredFrom?.meta.key, snap!.meta.key, 'restored from the snapshot');
    const head = readFileSync(g.consolePath, 'utf8').split('\n')[0];
    t.match(head, `bpf-harness: restored from snapshot ${snap!.dir}`, 'the console log starts at the restore and names the snapshot');
    const skew = Number(await guestSays(g, 'date +%s')) - Date.now() / 1000;
    t.ok(Math.abs(skew) < 5, `the guest's clock is the host's (off by ${skew.toFixed(1)} s), not the saved moment`);
  }
  // The same kernel state in both, generator included, until it was reseeded from the host in each.
  t.not(await guestSays(a, 'cat /proc/sys/kernel/random/uuid'), await guestSays(b, 'cat /proc/sys/kernel/random/uuid'), 'yet their random numbers differ');
  t.equal(await guestSays(a, 'ps -o args | grep -c "^/bin/dropbear"'), '2', 'no SSH session from before the save lingers (the server and ours)');
  t.ok(await a.ready(), 'the target session comes up on a restored guest');
});

t.test('--cold-boot boots the kernel even with a snapshot at hand, and saves none', async (t) => {
  const o = options({ coldBoot: true });
  const g = await QemuTarget.boot(art, image, o.opts());
  t.teardown(() => g.close());
  t.equal(g.restoredFrom, undefined);
  t.equal(o.snapshot(), undefined, 'no snapshot saved');
  t.match(readFileSync(g.consolePath, 'utf8'), /bpf-harness: guest up/, "the console holds the boot's own output");
});

t.test('a snapshot QEMU cannot load: the guest boots cold, says why, and a new snapshot replaces it', async (t) => {
  const o = options();
  t.teardown(() => {
    const s = o.snapshot();
    if (s) removeSnapshot(s);
  });
  const first = await QemuTarget.boot(art, image, o.opts());
  await first.close();
  const snap = o.snapshot()!;
  // Same size (so it counts as whole), but not a migration stream.
  writeFileSync(snap.state, Buffer.alloc(snap.meta.bytes, 0x5a));
  const { value: g, lines } = await progressOf(() => QemuTarget.boot(art, image, o.opts()));
  t.teardown(() => g.close());
  t.equal(g.restoredFrom, undefined, 'booted cold');
  t.match(lines, new RegExp(`restoring debian-6.12 from snapshot ${snap.meta.key} failed \\(qemu exited with code 1.*\\); booting cold and saving a new snapshot`));
  const again = o.snapshot();
  t.ok(again && again.meta.savedAt !== snap.meta.savedAt, 'a new snapshot was saved');
});

t.test('kernel list shows the snapshots of each kernel', async (t) => {
  const o = options();
  const g = await QemuTarget.boot(art, image, o.opts());
  await g.close();
  t.teardown(() => removeSnapshot(o.snapshot()!));
  const r = await cli(['kernel', 'list']);
  t.equal(r.exitCode, 0, 'exit 0', { output: r.all });
  t.match(r.stdout, /^debian-6\.12 .* snapshots: \d+, \d+ MB$/m);
});

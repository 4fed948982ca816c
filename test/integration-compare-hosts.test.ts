// compare between two SSH hosts (an A/B on real hardware): two debian-6.12 guests reached
// only as hosts through their dropbear, one booted with kernel.unprivileged_bpf_disabled=0
// on its command line. The privilege matrix's plain-user load is refused on the first
// and loads on the second: one verdict change, unexpected, exit 1.
import t from 'tap';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kernelArtifacts } from '../kernels/resolve.js';
import { guestImage } from '../vm/qemu/image/build.js';
import { chooseAccel } from '../vm/qemu/accel.js';
import { QemuTarget } from '../vm/qemu/target.js';
import { clientKey } from '../vm/transport/keys.js';
import type { Comparison } from '../harness/compare/compare.js';
import { cli, outDir } from './helpers/cli.js';

const art = await kernelArtifacts('debian-6.12');
const image = await guestImage(art);
const accel = await chooseAccel('auto', art.bzImage);
const dir = mkdtempSync(join(tmpdir(), 'bpf-harness-hosts-'));
// Cold boots: the guests are the hosts' own machines here, no snapshot of theirs is kept.
const boot = (name: string, append?: string) => QemuTarget.boot(art, image, { accel, coldBoot: true, logDir: join(dir, name), ...(append ? { append } : {}) });
const [a, b] = await Promise.all([boot('a'), boot('b', 'sysctl.kernel.unprivileged_bpf_disabled=0')]);
t.teardown(async () => {
  await a.close();
  await b.close();
});
const knownHosts = join(dir, 'known_hosts');
writeFileSync(knownHosts, [a, b].map((g) => `[127.0.0.1]:${g.port} ${g.loginInfo().hostKey}\n`).join(''));
const key = (await clientKey()).privateKeyPath;
const url = (g: QemuTarget) => `ssh://root@127.0.0.1:${g.port}`;

t.test('compare --base-target ssh://A --patched-target ssh://B: the verdict the hosts differ on, per step', async (t) => {
  const out = outDir();
  const r = await cli(['compare', 'scenarios/privileges/socket-filter.yaml', '--base-target', url(a), '--patched-target', url(b), '--identity', key, '--known-hosts', knownHosts, '--out', out]);
  t.equal(r.exitCode, 1, 'exit 1: a change nobody declared', { output: r.all });
  const cmp = JSON.parse(readFileSync(join(out, 'comparison.json'), 'utf8')) as Comparison;
  t.same([cmp.base, cmp.patched], [`ssh:127.0.0.1:${a.port}`, `ssh:127.0.0.1:${b.port}`], 'each side named by its host and port');
  t.same(cmp.steps.filter((s) => s.verdictChanged).map((s) => `${s.step}: ${s.base.verdict} -> ${s.patched.verdict}`), ['user: EPERM -> loaded'], 'only the plain user\'s load changed');
  t.equal(cmp.unexpected, 1);
  t.match(r.stdout, /socket-filter\.yaml user +EPERM +loaded .*verdict\+log UNEXPECTED/);
});

t.test('a QEMU flag beside two hosts is refused; an SSH flag beside a QEMU side is not', async (t) => {
  const r = await cli(['compare', 'scenarios/privileges/socket-filter.yaml', '--base-target', url(a), '--patched-target', url(b), '--cold-boot']);
  t.equal(r.exitCode, 2, { output: r.all });
  t.match(r.stderr, /--cold-boot applies to QEMU guests \(--target qemu\) only/);
  const both = await cli(['compare', 'scenarios/privileges/socket-filter.yaml', '--base-target', url(a), '--patched', 'nosuchkernel', '--identity', key]);
  t.equal(both.exitCode, 2, { output: both.all });
  t.match(both.stderr, /nosuchkernel/, 'the QEMU side\'s kernel is checked, the SSH flag taken');
});

// The privilege matrix (seed 002) on debian-6.12 and debian-6.1: root, a plain user,
// CAP_BPF alone and with CAP_PERFMON or CAP_NET_ADMIN, CAP_SYS_ADMIN, across socket
// filter, XDP, kprobe and fentry programs, and the unprivileged_bpf_disabled sysctl.
import t from 'tap';
import { cli, outDir } from './helpers/cli.js';

t.test('scenarios/privileges pass on debian-6.12 and debian-6.1', async (t) => {
  const r = await cli(['run', 'scenarios/privileges', '--reporter', 'json', '--out', outDir(), '-q']);
  t.equal(r.exitCode, 0, 'exit 0', { output: r.all.slice(-6000) });
  const run = JSON.parse(r.stdout) as { scenarios: { file: string; kernel: string; outcome: string; steps: { id: string; loaded?: boolean; errno?: string }[] }[] };
  t.equal(run.scenarios.length, 10, 'five scenarios on two kernels');
  t.ok(run.scenarios.every((s) => s.outcome === 'pass'));
  const xdp = run.scenarios.find((s) => s.file.endsWith('xdp.yaml') && s.kernel === 'debian-6.12')!;
  const by = Object.fromEntries(xdp.steps.map((s) => [s.id, s.errno ?? (s.loaded ? 'ok' : '?')]));
  t.same(by, { root: 'ok', user: 'EPERM', 'cap-bpf': 'EPERM', 'cap-bpf-perfmon': 'EPERM', 'cap-bpf-net-admin': 'ok', 'cap-sys-admin': 'ok' });
});

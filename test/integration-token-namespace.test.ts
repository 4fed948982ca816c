// Seeds 003 and 004 on debian-6.12 (tokens) and debian-6.1 (none): delegation through
// the token helper, map creation, token creation from the initial namespace, and who
// may enumerate program ids.
import t from 'tap';
import { cli, outDir } from './helpers/cli.js';

t.test('scenarios/token and scenarios/bpf-namespace pass on both kernels', async (t) => {
  const r = await cli(['run', 'scenarios/token', 'scenarios/bpf-namespace', '--reporter', 'json', '--out', outDir(), '-q']);
  t.equal(r.exitCode, 0, 'exit 0', { output: r.all.slice(-6000) });
  const run = JSON.parse(r.stdout) as { scenarios: { file: string; kernel: string; outcome: string; steps: { id: string; outcome: string; loaded?: boolean; errno?: string; stderr?: string }[] }[] };
  t.equal(run.scenarios.length, 8, 'four scenarios on two kernels');
  t.ok(run.scenarios.every((s) => s.outcome === 'pass'));
  const xdp = (k: string) => run.scenarios.find((s) => s.file.endsWith('xdp-delegation.yaml') && s.kernel === k)!;
  t.equal(xdp('debian-6.12').steps.find((s) => s.id === 'token-xdp-any-attach')?.loaded, true, 'a token loads XDP on 6.12');
  t.equal(xdp('debian-6.1').steps.find((s) => s.id === 'token-xdp-any-attach')?.outcome, 'skip', 'and cannot run on 6.1');
  t.match(xdp('debian-6.1').steps.find((s) => s.id === 'helper')?.stderr, /a kernel without BPF tokens, before 6\.9/);
});

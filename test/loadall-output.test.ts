// On real `bpftool -d prog loadall` recordings: see test/fixtures/bpftool/README.md.
import t from 'tap';
import { readFileSync } from 'node:fs';
import path, { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { parseLoadallOutput } from '../harness/bpftool/loadall-output.js';
import { programStats, verificationUs } from '../harness/expect/check.js';

const root = path.resolve(fileURLToPath(import.meta.url), '../../..');
const fixture = (name: string) => readFileSync(path.join(root, 'test/fixtures/bpftool', name), 'utf8');

t.test('a passing XDP program', async (t) => {
  const raw = fixture('xdp_pass.txt');
  const r = parseLoadallOutput(raw, 0);
  t.equal(r.loaded, true);
  t.equal(r.errno, undefined);
  t.equal(r.error, undefined);
  t.equal(r.raw, raw);
  t.equal(r.programs.length, 1);
  const p = r.programs[0]!;
  t.equal(p.name, 'xdp_pass');
  t.equal(p.loaded, true);
  t.match(p.log, /^func#0 @0\n/);
  t.match(p.log, /\n11: \(85\) call bpf_map_lookup_elem#1 /);
  t.match(p.log, /\nprocessed 18 insns \(limit 1000000\) max_states_per_insn 0 total_states 1 peak_states 1 mark_read 0$/);
  t.notMatch(p.log, /libbpf:|END PROG LOAD LOG/);
  t.match(p.log, /\n\nfrom 6 to 15:/, 'blank lines inside the log are kept');
  t.equal(r.combinedLog, `# prog xdp_pass\n${p.log}\n`);
  t.equal(parseLoadallOutput(raw).loaded, true, 'no exit code needed');
  t.equal(parseLoadallOutput(raw, 1).loaded, false, 'a non-zero exit code means not loaded');
});

t.test('an unchecked packet read is rejected with EACCES', async (t) => {
  const r = parseLoadallOutput(fixture('pkt_unchecked.txt'), 255);
  t.equal(r.loaded, false);
  t.equal(r.errno, 'EACCES');
  t.equal(r.error, 'failed to load object file');
  t.same(r.programs.map(({ name, loaded, errno, reason }) => ({ name, loaded, errno, reason })), [
    { name: 'pkt_unchecked', loaded: false, errno: 'EACCES', reason: 'Permission denied' },
  ]);
  t.match(r.programs[0]?.log, /\ninvalid access to packet, off=0 size=1, R1\(id=0,off=0,r=0\)\nR1 offset is outside of the packet\n/);
  t.notMatch(r.combinedLog, /Warning: bpftool|libbpf:/, 'nothing from outside the markers');
});

t.test('an uninitialized register read', async (t) => {
  const r = parseLoadallOutput(fixture('uninit_reg.txt'), 255);
  t.equal(r.loaded, false);
  t.equal(r.errno, 'EACCES');
  t.equal(r.programs[0]?.name, 'uninit_reg');
  t.match(r.combinedLog, /^# prog uninit_reg\nfunc#0 @0\n[^]*\n0: \(bf\) r0 = r2\nR2 !read_ok\n/);
});

t.test('two programs, the second rejected', async (t) => {
  const r = parseLoadallOutput(fixture('two_progs.txt'), 255);
  t.equal(r.loaded, false);
  t.equal(r.errno, 'EACCES');
  t.same(r.programs.map((p) => [p.name, p.loaded, p.errno ?? null]), [
    ['good_prog', true, null],
    ['bad_prog', false, 'EACCES'],
  ]);
  const headers = r.combinedLog.split('\n').filter((l) => l.startsWith('# prog '));
  t.same(headers, ['# prog good_prog', '# prog bad_prog'], 'in load order');
  t.match(r.combinedLog, /^# prog good_prog\nfunc#0 @0\n[^]*mark_read 0\n# prog bad_prog\nfunc#0 @0\n[^]*off=14 size=1/);
});

t.test('kfunc calls', async (t) => {
  const r = parseLoadallOutput(fixture('kfunc_call.txt'), 0);
  t.equal(r.loaded, true);
  t.match(r.combinedLog, /call bpf_rcu_read_lock#65495/, 'raw ids: normalization is not the parser\'s job');
});

t.test('an object file that does not exist', async (t) => {
  const r = parseLoadallOutput(fixture('missing_object.txt'), 255);
  t.equal(r.loaded, false);
  t.equal(r.errno, 'ENOENT', 'from libbpf\'s error line');
  t.equal(r.error, 'failed to open object file');
  t.same(r.programs, []);
  t.equal(r.combinedLog, '');
});

t.test('formats of other libbpf versions and truncated logs', async (t) => {
  // Rewrites of a real recording into libbpf >= 1.6 wording (errstr: "-EACCES"),
  // with CRLF as a pty would give, and with a log cut short by ENOSPC.
  const real = fixture('pkt_unchecked.txt');
  const newer = real
    .replace('BPF program load failed: Permission denied', 'BPF program load failed: -EACCES')
    .replace('failed to load: -13', 'failed to load: -EACCES')
    .replace(/\n/g, '\r\n');
  const r = parseLoadallOutput(newer);
  t.equal(r.errno, 'EACCES');
  t.equal(r.programs[0]?.reason, '-EACCES');
  t.notMatch(r.combinedLog, /\r/);

  const numeric = real.replace(/^libbpf: prog 'pkt_unchecked': BPF program load failed: .*\n/m, '');
  t.equal(parseLoadallOutput(numeric).errno, 'EACCES', '"failed to load: -13" alone');

  const cut = real.replace(/R1 offset is outside of the packet\n[^]*?(-- END PROG LOAD LOG --)/, 'R1 offset is outsi$1');
  t.match(cut, /\nR1 offset is outsi-- END PROG LOAD LOG --\n/);
  const c = parseLoadallOutput(cut);
  t.match(c.programs[0]?.log, /\nR1 offset is outsi$/, 'a partial last line before the END marker');
});

t.test('debian-6.12 guest recordings (test/fixtures/loadall-debian-6.12)', async (t) => {
  const dir = path.join(root, 'test/fixtures/loadall-debian-6.12');
  for (const [file, prog, loaded, errno, text] of [
    ['xdp_pass.txt', 'xdp_ipv4_only', true, undefined, 'processed'],
    ['bounded_loop.txt', 'xdp_bounded_loop', true, undefined, 'processed'],
    ['xdp_unchecked.txt', 'xdp_unchecked_read', false, 'EACCES', 'invalid access to packet'],
    ['uninit_reg.txt', 'xdp_uninit_r3', false, 'EACCES', 'R3 !read_ok'],
    ['map_null.txt', 'xdp_no_null_check', false, 'EACCES', "invalid mem access 'map_value_or_null'"],
    ['infinite_loop.txt', 'xdp_spin', false, 'EINVAL', 'infinite loop detected at insn 1'],
  ] as const) {
    const r = parseLoadallOutput(readFileSync(path.join(dir, file), 'utf8'));
    t.equal(r.loaded, loaded, `${file}: loaded`);
    t.equal(r.errno, errno, `${file}: errno`);
    t.same(r.programs.map((p) => [p.name, p.loaded]), [[prog, loaded]], `${file}: programs`);
    t.match(r.programs[0]?.log, text, `${file}: log`);
    t.match(r.combinedLog, new RegExp(`^# prog ${prog}\\nfunc#0 @0\\n[^]*\\nprocessed \\d+ insns .*\\n$`), `${file}: whole log`);
  }
});

t.test('libbpf 1.5 wording (test/fixtures/loadall-debian-6.12-libbpf-1.5)', async (t) => {
  const dir = path.join(root, 'test/fixtures/loadall-debian-6.12-libbpf-1.5');
  const bad = parseLoadallOutput(readFileSync(path.join(dir, 'uninit_reg.txt'), 'utf8'), 255);
  t.equal(bad.loaded, false);
  t.equal(bad.errno, 'EACCES', '"BPF program load failed: Permission denied"');
  t.same(bad.programs.map((p) => [p.name, p.loaded]), [['xdp_uninit_r3', false]]);
  t.match(bad.combinedLog, /^# prog xdp_uninit_r3\n[^]*\nR3 !read_ok\n/);
  t.notMatch(bad.combinedLog, /BPF token/, 'the token probe line is not part of the verifier log');
  const good = parseLoadallOutput(readFileSync(path.join(dir, 'xdp_pass.txt'), 'utf8'), 0);
  t.equal(good.loaded, true);
  t.equal(good.errno, undefined);
  t.match(good.combinedLog, /processed 16 insns/);
});

t.test('a load refused before any program (libbpf probe): errno from libbpf\'s own error line', async (t) => {
  const raw = readFileSync(path.join(root, 'test/fixtures/loadall-debian-6.12-libbpf-1.5/socket_filter_user.txt'), 'utf8');
  const r = parseLoadallOutput(raw, 255);
  t.equal(r.loaded, false);
  t.equal(r.errno, 'EPERM');
  t.equal(r.combinedLog, '', 'no verifier log: nothing reached the verifier');
  t.equal(r.error, 'failed to load object file');
});

t.test('struct_ops register of scx_central (scx-6.12): programs, not the subprograms of .text, each with its stats', async (t) => {
  const artifact = gunzipSync(readFileSync(join(root, 'test/fixtures/loadall-scx-6.12/scx_central-register.bpftool.txt.gz'))).toString();
  const raw = artifact.split('\n').slice(1).join('\n').replace(/\[exit 0\]\n$/, '');
  const r = parseLoadallOutput(raw, 0);
  t.equal(r.loaded, true);
  t.same(r.programs.filter((p) => p.subprogram).map((p) => p.name), ['dispatch_to_cpu', 'central_timerfn']);
  const progs = r.programs.filter((p) => !p.subprogram);
  t.same(progs.map((p) => p.name), ['central_select_cpu', 'central_enqueue', 'central_dispatch', 'central_running', 'central_stopping', 'central_init', 'central_exit']);
  t.ok(progs.every((p) => p.loaded && programStats(p.log) !== undefined && verificationUs(p.log) !== undefined), 'every program has veristat\'s columns');
  t.same(progs.map((p) => programStats(p.log)?.insns), [3, 56, 565, 25, 21, 674, 25], 'each its own "processed N insns", not the largest');
  t.same(programStats(progs[2]!.log), { insns: 565, maxStatesPerInsn: 2, states: 57, peakStates: 57, markRead: 17 });
});

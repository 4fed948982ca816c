// A step keeps at most 16 MiB of each output stream: the rest is counted and dropped, and
// the step's result says how much. The commands run over a real SSH connection to an
// in-process ssh2 server (no guest): `emit OUT ERR` prints OUT bytes of "x" on stdout,
// then "END", and ERR bytes on stderr.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import type { ServerChannel } from 'ssh2';
import t from 'tap';
import { formatScenarioDetails } from '../harness/reporters/format.js';
import type { ScenarioContext } from '../harness/runner/context.js';
import { runRunStep } from '../harness/runner/steps.js';
import type { Scenario, RunStep } from '../harness/scenario/types.js';
import type { Target } from '../vm/target.js';
import { STEP_OUTPUT_LIMIT } from '../vm/transport/capped-output.js';
import { SshConnection } from '../vm/transport/ssh.js';

const CHUNK = 64 * 1024;

async function emit(stream: NodeJS.WritableStream, bytes: number, tail = ''): Promise<void> {
  const chunk = Buffer.alloc(CHUNK, 'x');
  for (let left = bytes; left > 0; left -= CHUNK) {
    if (!stream.write(left >= CHUNK ? chunk : chunk.subarray(0, left))) await new Promise((r) => stream.once('drain', r));
  }
  // Its callback runs once everything before it went out: then the next stream may start.
  await new Promise((r) => stream.write(tail, r));
}

async function serve(ch: ServerChannel, command: string): Promise<void> {
  const m = /emit (\d+) (\d+)/.exec(command);
  if (m) {
    await emit(ch, Number(m[1]), 'END\n');
    await emit(ch.stderr, Number(m[2]));
  }
  ch.exit(0);
  ch.end();
}

const hostKey = ssh2.utils.generateKeyPairSync('ed25519');
const clientKey = ssh2.utils.generateKeyPairSync('ed25519');
const server = new ssh2.Server({ hostKeys: [hostKey.private] }, (client) => {
  client.on('authentication', (ctx) => ctx.accept());
  client.on('session', (accept) => {
    accept().on('exec', (acceptExec, _reject, info) => void serve(acceptExec(), info.command));
  });
  client.on('error', () => {});
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const port = (server.address() as { port: number }).port;
const conn = await SshConnection.connect({ host: '127.0.0.1', port, username: 'test', privateKey: clientKey.private, hostKey: hostKey.public });
const dir = mkdtempSync(join(tmpdir(), 'step-output-cap-'));
t.teardown(() => {
  conn.close();
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

t.test('exec keeps maxBytesPerStream of each stream and counts the rest', async (t) => {
  const over = await conn.exec(`emit ${STEP_OUTPUT_LIMIT + 1000} 300`, { maxBytesPerStream: STEP_OUTPUT_LIMIT });
  t.equal(over.exit, 0);
  t.equal(over.stdout.length, STEP_OUTPUT_LIMIT, 'stdout cut at the limit');
  t.ok(/^x+$/.test(over.stdout), 'the first bytes are the ones kept');
  t.same(over.dropped, { stdout: 1000 + 'END\n'.length, stderr: 0 }, 'the rest counted');
  t.equal(over.stderr.length, 300, 'stderr has its own limit');

  const small = await conn.exec('emit 100 200', { maxBytesPerStream: 150 });
  t.same(small.dropped, { stdout: 0, stderr: 50 }, 'stderr over its limit while stdout is under');
  t.equal(small.stderr.length, 150);
  t.equal(small.stdout.length, 104);

  const under = await conn.exec('emit 100 0', { maxBytesPerStream: 150 });
  t.equal(under.stdout, `${'x'.repeat(100)}END\n`);
  t.notOk('dropped' in under, 'nothing dropped: no dropped field');
  t.equal((await conn.exec('emit 300 0')).stdout.length, 304, 'without a limit everything is kept');
});

t.test('a run step passes the limit, and its result, artifact and report say what was dropped', async (t) => {
  const step: RunStep = { kind: 'run', id: 'flood', run: `emit ${STEP_OUTPUT_LIMIT + 5} 0`, as: 'root', expect: { stdout: ['END'] }, line: 1, col: 1 };
  const scenario = { file: join(dir, 's.yaml'), name: 's', steps: [step], normalize: [] } as unknown as Scenario;
  const target = { exec: (cmd: string, opts?: Parameters<Target['exec']>[1]) => conn.exec(cmd, opts) } as unknown as Target;
  const ctx = { target, scenario, kernel: 'k', objects: new Map(), guestDir: '/tmp/g', pinDir: '/sys/fs/bpf/p', artifactDir: dir, artifactRel: '.' } as unknown as ScenarioContext;
  const { result: r } = await runRunStep(ctx, step, step.expect);
  t.same(r.outputDropped, { stdout: 5 + 'END\n'.length, stderr: 0 });
  t.equal(r.stdout?.length, STEP_OUTPUT_LIMIT);
  t.equal(r.outcome, 'fail', '"END" came after the limit, so it is not there to match');
  t.match(readFileSync(join(dir, 'flood.run.txt'), 'utf8'), `[output past ${STEP_OUTPUT_LIMIT} bytes a stream dropped: 9 bytes of stdout, 0 of stderr]\n[exit 0]`);
  const details = formatScenarioDetails({ file: 's.yaml', name: 's', kernel: 'k', outcome: 'fail', durationMs: 0, steps: [r] }, '');
  t.ok(details.includes('  output past the 16 MiB a stream that a step keeps was dropped: 9 bytes of stdout, 0 of stderr'), 'the report says so', { details });
});

// The guest's network, on real debian-6.12 guests: by default QEMU's user-mode network is
// restrict=on, so a scenario's commands reach nothing (not the host's loopback services,
// not beyond) while the harness's SSH still comes in; `network: true` gives that
// scenario a guest of its own that can. A TCP server on the host's 127.0.0.1 (which
// user-mode networking shows the guest as 10.0.2.2) counts who reached it.
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, outDir } from './helpers/cli.js';
import type { RunResult } from '../harness/results/model.js';

t.test('restrict=on by default; network: true reaches the host, on a guest of its own', async (t) => {
  let reached = 0;
  const server = createServer((sock) => {
    reached++;
    sock.end('hello\n');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => server.close());
  const port = (server.address() as AddressInfo).port;
  const dir = mkdtempSync(join(tmpdir(), 'bpf-harness-network-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const scenario = (name: string, network: boolean, says: string) => `name: ${name}\nkernels: [debian-6.12]\n${network ? 'network: true\n' : ''}steps:\n` +
    `  - id: fetch\n    run: nc -w 4 10.0.2.2 ${port} </dev/null | grep -q hello && echo REACHED || echo BLOCKED\n    expect:\n      exit: 0\n      stdout: ["${says}"]\n`;
  writeFileSync(join(dir, '1-restricted.yaml'), scenario('restricted', false, 'BLOCKED'));
  writeFileSync(join(dir, '2-network.yaml'), scenario('with a network', true, 'REACHED'));
  writeFileSync(join(dir, '3-restricted-again.yaml'), scenario('restricted again', false, 'BLOCKED'));
  const out = outDir();
  const r = await cli(['run', dir, '--jobs', '1', '--out', out]);
  t.equal(r.exitCode, 0, 'exit 0', { output: r.all });
  t.equal(reached, 1, 'the host server saw exactly the one scenario that asked for a network');
  t.match(r.stdout, /PASS .*2-network\.yaml \[debian-6\.12\] \(network\)/, 'the report shows it');
  const run = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as RunResult;
  t.same(run.scenarios.map((s) => [s.name, s.outcome, s.network ?? false]), [['restricted', 'pass', false], ['with a network', 'pass', true], ['restricted again', 'pass', false]]);
});

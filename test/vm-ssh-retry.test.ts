// vm ssh tries again when the guest's SSH server drops the connection before the login
// (nothing ran then), and gives up after its tries. The "guest" is a TCP server that
// accepts and closes, as a busy dropbear or QEMU's user-mode network does now and then;
// the holder of the state is a process that looks like `run --keep-failed`.
import { execa } from 'execa';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import t from 'tap';
import { cli } from './helpers/cli.js';
import { ownCache } from './helpers/own-cache.js';

t.test('a connection dropped before the login is tried again, three times in all', async (t) => {
  const cache = ownCache(t);
  let accepted = 0;
  const server = createServer((sock) => {
    accepted++;
    sock.destroy();
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  t.teardown(() => server.close());
  const port = (server.address() as { port: number }).port;
  const holder = execa('node', ['-e', 'setInterval(() => {}, 1000)', '--', '--keep-failed'], { reject: false });
  t.teardown(() => holder.kill('SIGKILL'));
  mkdirSync(join(cache, 'vm'), { recursive: true });
  writeFileSync(join(cache, 'vm', 'up.json'), JSON.stringify({
    pid: holder.pid, kernel: 'k', release: '6.12.0', port, key: join(cache, 'no-key'), knownHosts: join(cache, 'known_hosts'), console: '',
  }));
  const r = await cli(['vm', 'ssh', 'true'], { BPF_HARNESS_CACHE: cache });
  t.equal(r.exitCode, 255, "ssh's own exit status once the tries are spent");
  t.equal(accepted, 3, 'three connections');
  t.equal(r.stderr.match(/closed the connection before the login \(\d of 3\); trying again/g)?.length, 2, 'each retry said');
});

// A server that refuses to start a command (dropbear answers an exec request with a failure
// when its fork or pipe fails, as in a guest short of memory for a moment) is asked again
// on the same connection, a few times, before the command counts as lost. The commands go
// over a real SSH connection to an in-process ssh2 server that refuses "refuse-N WORD" N
// times, then prints WORD.
import ssh2 from 'ssh2';
import t from 'tap';
import { SshConnection, SshLostError } from '../vm/transport/ssh.js';

const asked = new Map<string, number>();
const hostKey = ssh2.utils.generateKeyPairSync('ed25519');
const clientKey = ssh2.utils.generateKeyPairSync('ed25519');
const server = new ssh2.Server({ hostKeys: [hostKey.private] }, (client) => {
  client.on('authentication', (ctx) => ctx.accept());
  client.on('session', (accept) => {
    accept().on('exec', (acceptExec, rejectExec, info) => {
      const m = /^refuse-(\d+) (\w+)$/.exec(info.command);
      const n = (asked.get(info.command) ?? 0) + 1;
      asked.set(info.command, n);
      if (m && n <= Number(m[1])) return rejectExec();
      const ch = acceptExec();
      ch.write(`${m?.[2] ?? ''}\n`);
      ch.exit(0);
      ch.end();
    });
  });
  client.on('error', () => {});
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const port = (server.address() as { port: number }).port;
const conn = await SshConnection.connect({ host: '127.0.0.1', port, username: 'test', privateKey: clientKey.private, hostKey: hostKey.public });
t.teardown(() => {
  conn.close();
  server.close();
});

t.test('a refused command is asked for again and then runs', async (t) => {
  const r = await conn.exec('refuse-2 hello');
  t.equal(r.exit, 0);
  t.equal(r.stdout, 'hello\n');
  t.equal(asked.get('refuse-2 hello'), 3, 'two refusals, then the third request ran');
});

t.test('a command refused every time is lost, saying how often it was refused', async (t) => {
  await t.rejects(conn.exec('refuse-99 never'), new SshLostError(`SSH exec on test@127.0.0.1:${port} failed: Unable to exec (the server refused to start the command 4 times)`));
  t.equal(asked.get('refuse-99 never'), 4);
  t.ok(conn.isOpen, 'the connection stays up');
  t.equal((await conn.exec('refuse-0 after')).stdout, 'after\n', 'and runs the next command');
});

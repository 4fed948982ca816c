// Every QEMU process ends when the harness ends, however it ends: util-linux setpriv
// sets PDEATHSIG=KILL in the child before exec (covers kill -9 of the harness), and
// signal/exit handlers kill what is still running (covers normal exits and Ctrl-C).
import { execa, type ResultPromise } from 'execa';

const live = new Set<ResultPromise>();
let handlersInstalled = false;

function killAll(): void {
  for (const p of live) {
    try {
      p.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }
}

function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', killAll);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      killAll();
      process.exit(sig === 'SIGINT' ? 130 : 143);
    });
  }
}

export function spawnGuarded(file: string, args: string[]): ResultPromise<{ reject: false; buffer: false; stdin: 'ignore' }> {
  installHandlers();
  const p = execa('setpriv', ['--pdeathsig', 'KILL', '--', file, ...args], { reject: false, buffer: false, stdin: 'ignore' });
  live.add(p);
  void p.finally(() => live.delete(p));
  return p;
}

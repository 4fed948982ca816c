// Child processes that must end when the harness ends, however it ends (QEMU, make):
// util-linux setpriv sets a parent-death signal in the child before exec (covers kill -9
// of the harness), an exit handler stops what is still running (normal exits), and an
// interrupt (Ctrl-C, SIGTERM) stops them at once, so the run unwinds through its errors.
import { execa, type Options } from 'execa';
import { interruptedBy, onInterrupt } from './interrupt.js';

/** How each kind stops: QEMU is killed; make gets SIGTERM, which it passes on to the jobs it runs. */
export type DeathSignal = 'KILL' | 'TERM';

/** What stops each live child. */
const live = new Set<() => void>();
let handlersInstalled = false;

function stopAll(): void {
  for (const stop of live) stop();
}

function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', stopAll);
  onInterrupt(stopAll);
}

const QEMU_LIKE = { reject: false, buffer: false, stdin: 'ignore' } as const;

export function spawnGuarded<O extends Options = typeof QEMU_LIKE>(file: string, args: string[], deathSignal: DeathSignal = 'KILL', options?: O) {
  installHandlers();
  const p = execa('setpriv', ['--pdeathsig', deathSignal, '--', file, ...args], options ?? (QEMU_LIKE as unknown as O));
  const stop = () => {
    try {
      p.kill(`SIG${deathSignal}`);
    } catch {
      /* already gone */
    }
  };
  live.add(stop);
  void Promise.resolve(p).catch(() => {}).finally(() => live.delete(stop));
  // Started after the interrupt (a step that was already on its way): stopped as the rest were.
  if (interruptedBy()) stop();
  return p;
}

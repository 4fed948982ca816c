// Ctrl-C (SIGINT), SIGTERM and SIGHUP end a run the way an error does: child processes
// are stopped at once, no new work is taken, results.json is written with what finished
// and the rest marked not run, temporary directories are removed on the way out, and the
// exit code is 128 + the signal's number (130, 143). A second signal exits at once.
import { constants } from 'node:os';

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
export type StopSignal = (typeof SIGNALS)[number];

let received: StopSignal | undefined;
let caught = false;
const hooks = new Set<(sig: StopSignal) => void>();

/** The signal that interrupted this process, once one has. */
export const interruptedBy = (): StopSignal | undefined => received;

/** Runs fn when a signal arrives (at once, if one already has); returns what unregisters it. */
export function onInterrupt(fn: (sig: StopSignal) => void): () => void {
  if (received) fn(received);
  hooks.add(fn);
  return () => hooks.delete(fn);
}

export const exitCodeFor = (sig: StopSignal): number => 128 + constants.signals[sig];

/** From now on the signals interrupt rather than kill: the CLI calls this before it starts work. */
export function catchSignals(): void {
  if (caught) return;
  caught = true;
  for (const sig of SIGNALS) {
    process.on(sig, () => {
      if (received) process.exit(exitCodeFor(received));
      received = sig;
      process.stderr.write(`bpf-harness: ${sig}: stopping (what finished is kept; again to quit at once)\n`);
      for (const h of hooks) h(sig);
    });
  }
}

/** For a command whose normal end is a signal (vm up: Ctrl-C or vm down): resolves on one, which then counts as no interrupt. */
export function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    onInterrupt(() => {
      received = undefined;
      resolve();
    });
  });
}

// What the renderers count across events: the scenarios of the run so far, and a key per
// piece of work that reports progress (a build, a compile, the selftests of a kernel).
import type { ProgressEvent } from '../../../common/progress.js';

/** The piece of work an event belongs to, for those with steps to count. */
export function heartbeatKey(e: ProgressEvent): string | undefined {
  switch (e.type) {
    case 'build': return `build ${e.what}`;
    case 'compile': return `compile ${e.what} ${e.kernel}`;
    case 'selftests': return `selftests ${e.kernel}`;
    default: return undefined;
  }
}

export class RunTally {
  readonly startedAt = Date.now();
  /** The scenario runs planned, once a run said (several runs in one command add up). */
  planned = 0;
  done = 0;
  failed = 0;

  add(e: ProgressEvent): void {
    if (e.type === 'run' && e.phase === 'start') this.planned += e.scenarios;
    if (e.type !== 'scenario') return;
    if (e.phase === 'end') {
      this.done++;
      if (e.outcome === 'fail' || e.outcome === 'error') this.failed++;
    }
  }

  line(): string {
    return `scenarios: ${this.done}${this.planned ? `/${this.planned}` : ''} done, ${this.failed} failed, ${Math.round((Date.now() - this.startedAt) / 1000)}s`;
  }
}

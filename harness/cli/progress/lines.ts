// Progress as lines, for CI logs and pipes: a line when a piece of work begins, ends or
// fails (and every note), and for work that counts (a build, a compile, the selftests,
// the scenarios) a heartbeat line at most every 30 s while it goes on.
import { buildLine, eventLine, selftestsLine, type ProgressEvent } from '../../../common/progress.js';
import { heartbeatKey, RunTally } from './tally.js';

/** At most one heartbeat line per piece of work this often. */
export const HEARTBEAT_MS = 30_000;

export function linesRenderer(write: (s: string) => void, now = () => Date.now()): (e: ProgressEvent) => void {
  const lastBeat = new Map<string, number>();
  const tally = new RunTally();
  const line = (s: string) => write(`bpf-harness: ${s}\n`);
  return (e) => {
    tally.add(e);
    const key = heartbeatKey(e);
    if (e.type !== 'note' && 'phase' in e && e.phase === 'update' && key) {
      // The first update starts the clock: a piece of work that ends within 30 s says nothing more.
      const last = lastBeat.get(key);
      if (last === undefined) lastBeat.set(key, now());
      else if (now() - last >= HEARTBEAT_MS) {
        lastBeat.set(key, now());
        line(e.type === 'build' ? buildLine(e) : e.type === 'selftests' ? selftestsLine(e) : e.type === 'compile' ? `compiling ${e.what} for ${e.kernel}: ${e.done}/${e.total}` : '');
      }
      return;
    }
    if (key && 'phase' in e && e.phase !== 'start') lastBeat.delete(key);
    if (e.type === 'scenario') {
      // Scenarios count without a line each (the reporter prints them); a heartbeat says how far the run is.
      const last = lastBeat.get('scenarios') ?? tally.startedAt;
      if (e.phase === 'end' && now() - last >= HEARTBEAT_MS) {
        lastBeat.set('scenarios', now());
        line(tally.line());
      }
      return;
    }
    const text = eventLine(e);
    if (text !== undefined) line(text);
  };
}

// Progress on a terminal: a live bar per piece of work going on (kernel builds with their
// expected steps and ETA, compiles, the selftests, boots and image builds as they run,
// the scenarios so far), drawn by cli-progress on stderr; notes and ends print above the
// bars. What the reporters write on stdout goes above the bars too while they are drawn,
// so the two streams never tear each other's lines on one terminal.
import cliProgress from 'cli-progress';
import { eventLine, type ProgressEvent } from '../../../common/progress.js';
import { heartbeatKey, RunTally } from './tally.js';

type Bar = cliProgress.SingleBar;

const COUNTED = '{what} [{bar}] {value}/{total} {unit} {percentage}% {eta_formatted}';
const RUNNING = '{what} ... {duration_formatted}';

export function barsRenderer(stream: NodeJS.WriteStream): { sink: (e: ProgressEvent) => void; stop: () => void } {
  let multi: cliProgress.MultiBar | undefined;
  const bars = new Map<string, Bar>();
  const tally = new RunTally();
  const stdoutWrite = process.stdout.write.bind(process.stdout);

  const start = () => {
    if (multi) return multi;
    multi = new cliProgress.MultiBar({ stream, clearOnComplete: true, hideCursor: true, gracefulExit: false, linewrap: false, format: COUNTED, barsize: 24, etaBuffer: 50, fps: 5 });
    // Lines on stdout (the spec reporter) are shown above the bars while bars are up.
    if (process.stdout.isTTY && stream.isTTY) {
      process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
        if (!multi) return stdoutWrite(chunk, ...(rest as []));
        multi.log(chunk.toString());
        (rest.find((r) => typeof r === 'function') as (() => void) | undefined)?.();
        return true;
      }) as typeof process.stdout.write;
    }
    return multi;
  };
  const say = (text: string) => {
    if (multi) multi.log(`bpf-harness: ${text}\n`);
    else stream.write(`bpf-harness: ${text}\n`);
  };
  const drop = (key: string) => {
    const b = bars.get(key);
    if (!b || !multi) return;
    multi.remove(b);
    bars.delete(key);
    if (!bars.size) stop();
  };
  const stop = () => {
    if (!multi) return;
    // What was logged since the last redraw is written before the bars go.
    multi.update();
    multi.stop();
    multi = undefined;
    process.stdout.write = stdoutWrite as typeof process.stdout.write;
  };
  /** The bar of a piece of work, made on its first event. */
  const bar = (key: string, total: number, payload: Record<string, unknown>, format = COUNTED) => {
    let b = bars.get(key);
    if (!b) {
      b = start().create(total, 0, payload, { format });
      bars.set(key, b);
    }
    return b;
  };

  const sink = (e: ProgressEvent) => {
    tally.add(e);
    switch (e.type) {
      case 'build':
      case 'compile':
      case 'selftests': {
        const key = heartbeatKey(e)!;
        if (e.phase === 'end' || e.phase === 'failed') {
          drop(key);
          break;
        }
        const [done, total, what, unit] = e.type === 'build' ? [e.steps, e.expected ?? 0, e.what, 'steps']
          : e.type === 'compile' ? [e.done, e.total, `compiling ${e.what} (${e.kernel})`, 'files']
          : [e.done, e.total, `selftests on ${e.kernel}`, `files, ${e.failed} failed`];
        // A build without an expected count (an incremental one never seen) shows its steps and time only.
        const b = bar(key, total || 1, { what, unit }, total ? COUNTED : '{what} {value} steps, {duration_formatted}');
        // Past the expected count, the total grows with it: the bar stays under 100%.
        if (total && done >= total) b.setTotal(done + 1);
        b.update(done, { what, unit });
        break;
      }
      case 'boot':
      case 'image': {
        const key = e.type === 'boot' ? `boot ${e.kernel}` : `image ${e.hash}`;
        if (e.phase === 'start') bar(`${key} ${bars.size}`, 1, { what: e.type === 'boot' ? `booting ${e.kernel}` : `building guest image for ${e.kernel}` }, RUNNING);
        else {
          const mine = [...bars.keys()].find((k) => k.startsWith(`${key} `));
          if (mine) drop(mine);
        }
        break;
      }
      case 'scenario': {
        if (e.phase !== 'end') break;
        const b = tally.planned
          ? bar('scenarios', tally.planned, { what: 'scenarios', unit: 'done' }, '{what} [{bar}] {value}/{total} done, {failed} failed {eta_formatted}')
          : bar('scenarios', 0, { what: 'scenarios', unit: 'done' }, '{what}: {value} done, {failed} failed, {duration_formatted}');
        if (tally.planned) b.setTotal(Math.max(tally.planned, tally.done));
        b.update(tally.done, { failed: tally.failed });
        return;
      }
      default:
        break;
    }
    const text = eventLine(e);
    if (text !== undefined) say(text);
  };
  return { sink, stop };
}

// --progress: how the events of common/progress.ts are shown. auto: bars on a terminal,
// lines elsewhere (CI, pipes, TERM=dumb); json: NDJSON on stderr, one event a line with
// its type and time, for other tools. The bars are cli-progress's MultiBar: several bars
// at once (two kernels building under --kernel-jobs, guests booting) with lines printed
// above them, without the task structure a task-list library (listr2) wants to own.
import { setProgressSink } from '../../../common/progress.js';
import { barsRenderer } from './bars.js';
import { linesRenderer } from './lines.js';

export const PROGRESS_MODES = ['auto', 'bars', 'lines', 'json'] as const;
export type ProgressMode = (typeof PROGRESS_MODES)[number];

/** auto's choice for a stream: bars only on a terminal that can draw them, outside CI. */
export function chooseMode(mode: ProgressMode, stream: NodeJS.WriteStream, env = process.env): Exclude<ProgressMode, 'auto'> {
  if (mode !== 'auto') return mode;
  return stream.isTTY && env.TERM !== 'dumb' && !env.CI ? 'bars' : 'lines';
}

/** Sets the renderer for the rest of the process; returns what stops it (bars are cleared, stdout given back). */
export function startProgress(mode: ProgressMode, stream: NodeJS.WriteStream = process.stderr): () => void {
  const chosen = chooseMode(mode, stream);
  if (chosen === 'json') {
    setProgressSink((e) => stream.write(`${JSON.stringify({ time: new Date().toISOString(), ...e })}\n`));
    return () => setProgressSink(undefined);
  }
  if (chosen === 'lines') {
    setProgressSink(linesRenderer((s) => stream.write(s)));
    return () => setProgressSink(undefined);
  }
  const bars = barsRenderer(stream);
  setProgressSink(bars.sink);
  return () => {
    bars.stop();
    setProgressSink(undefined);
  };
}

// Progress of long work as typed events on one stream: the code doing the work emits them,
// and one sink renders them (the CLI picks it: live bars on a terminal, lines in CI and
// pipes, NDJSON for tools; harness/cli/progress/). Everything goes to stderr, so the
// machine-readable reporters on stdout stay clean. Without a sink set (tests, benches),
// events are written as the lines of the plain renderer's simplest form.

/** A phase of one piece of work: begun, going on (with counts), over, or failed. */
export type Phase = 'start' | 'update' | 'end' | 'failed';

export type ProgressEvent =
  /** A one-off message: something decided or noticed (a cache hit, a retry, a fallback). */
  | { type: 'note'; text: string }
  /** A package or tree fetched from the network. */
  | { type: 'download'; phase: Phase; what: string; bytes?: number }
  /**
   * A kernel (or a tool) built by make: its steps so far, the total expected (the last
   * build of the same config, else an estimate from the config), and the time left at
   * the pace so far.
   */
  | { type: 'build'; phase: Phase; what: string; steps: number; expected?: number; elapsedMs: number; etaMs?: number; log?: string }
  /** A guest image made for a kernel. */
  | { type: 'image'; phase: Phase; kernel: string; hash: string }
  /** A guest started: booted cold or restored from a snapshot. */
  | { type: 'boot'; phase: Phase; kernel: string; mode: 'cold' | 'restore'; ms?: number; why?: string }
  /** Programs or selftest files compiled for a kernel. */
  | { type: 'compile'; phase: Phase; what: string; kernel: string; done: number; total: number }
  /** Programs run by the selftest loader. */
  | { type: 'selftests'; phase: Phase; kernel: string; done: number; total: number; runs: number; failed: number }
  /** A run of the plan: how many scenario runs it holds (the scenarios' bar and heartbeat count against it). */
  | { type: 'run'; phase: Phase; scenarios: number }
  /** A scenario on a kernel. */
  | { type: 'scenario'; phase: Phase; file: string; kernel: string; outcome?: string };

export type ProgressSink = (e: ProgressEvent) => void;

let quiet = false;
let sink: ProgressSink | undefined;

export function setQuiet(q: boolean): void {
  quiet = q;
}

/** Where events go from now on (the CLI's renderer); undefined: the default lines. */
export function setProgressSink(s: ProgressSink | undefined): void {
  sink = s;
}

/** The simplest line for an event, or nothing (steady updates say nothing here). */
export function eventLine(e: ProgressEvent): string | undefined {
  switch (e.type) {
    case 'note': return e.text;
    case 'download': return e.phase === 'start' ? `downloading ${e.what}` : e.phase === 'end' ? `downloaded ${e.what}${e.bytes ? ` (${(e.bytes / 1e6).toFixed(1)} MB)` : ''}` : e.phase === 'failed' ? `downloading ${e.what} failed` : undefined;
    case 'build': return e.phase === 'start' ? `${e.what}: ${e.expected ? `~${e.expected} steps expected` : 'no estimate of its steps yet'}` : undefined;
    case 'image': return e.phase === 'start' ? `building guest image ${e.hash} for ${e.kernel}` : undefined;
    case 'boot': return e.phase === 'start' ? undefined : e.phase === 'end' ? `guest ready over SSH in ${((e.ms ?? 0) / 1000).toFixed(1)}s${e.mode === 'restore' ? ` (${e.why ?? 'restored from a snapshot'})` : ''}` : `${e.kernel}: ${e.why ?? 'boot failed'}`;
    case 'compile': return e.phase === 'start' ? `compiling ${e.total} ${e.what} for ${e.kernel}` : undefined;
    case 'selftests': return e.phase === 'end' ? selftestsLine(e) : undefined;
    case 'scenario':
    case 'run': return undefined;
  }
}

/** "selftests on K: 120/1761 files, 300 program runs, 2 failed". */
export const selftestsLine = (e: Extract<ProgressEvent, { type: 'selftests' }>) => `selftests on ${e.kernel}: ${e.done}/${e.total} files, ${e.runs} program runs, ${e.failed} failed`;

const fmtTime = (ms: number) => `${Math.floor(ms / 60000)}m${String(Math.round((ms % 60000) / 1000)).padStart(2, '0')}s`;

/** "label: 120/~2150 steps (6%), 0m45s ~12m20s left", or without an expected count, steps and time only. */
export function buildLine(e: Extract<ProgressEvent, { type: 'build' }>): string {
  const pct = e.expected ? Math.min(99, Math.round((100 * e.steps) / e.expected)) : undefined;
  const left = e.etaMs !== undefined ? ` ~${fmtTime(e.etaMs)} left` : '';
  return `${e.what}: ${e.steps}${e.expected ? `/~${e.expected}` : ''} steps${pct !== undefined ? ` (${pct}%)` : ''}, ${fmtTime(e.elapsedMs)}${left}`;
}

export function emit(e: ProgressEvent): void {
  if (quiet) return;
  if (sink) return sink(e);
  const line = eventLine(e);
  if (line !== undefined) process.stderr.write(`bpf-harness: ${line}\n`);
}

/** A note: a one-off line of progress. */
export function progress(msg: string): void {
  emit({ type: 'note', text: msg });
}

export async function timed<T>(what: string, fn: () => Promise<T>): Promise<T> {
  const t0 = Date.now();
  progress(`${what} ...`);
  const r = await fn();
  progress(`${what}: done in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
  return r;
}

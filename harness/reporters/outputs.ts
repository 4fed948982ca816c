// Several reporters at once: `--reporter spec --reporter junit=FILE --reporter tap=FILE`.
// Each takes every event; one may write to stdout, the others to their files, which are
// checked first among the run's refusals (a path that cannot be written is bad input, not
// a lost report at the end of a long run) and opened, so emptied, only after the last of
// them: a refused run leaves the user's previous report as it was.
import { accessSync, constants, createWriteStream, openSync, statSync, type Stats, type WriteStream } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { InvalidArgumentError } from 'commander';
import { BadInputError } from '../../common/errors.js';
import type { RunResult, ScenarioResult } from '../results/model.js';
import { REPORTERS, makeReporter, type Reporter, type ReporterName, type ScenarioRef } from './reporter.js';

export interface ReporterSpec {
  name: ReporterName;
  /** Absent: stdout. */
  file?: string;
}

/** One --reporter value, NAME or NAME=FILE (commander's argParser; repeatable). */
export function parseReporter(v: string, prev: ReporterSpec[] | undefined): ReporterSpec[] {
  const eq = v.indexOf('=');
  const name = eq < 0 ? v : v.slice(0, eq);
  const file = eq < 0 ? undefined : v.slice(eq + 1);
  if (!(REPORTERS as readonly string[]).includes(name)) throw new InvalidArgumentError(`expected one of ${REPORTERS.join(', ')}, optionally =FILE (e.g. junit=out/junit.xml)`);
  if (file === '') throw new InvalidArgumentError(`${name}= needs a file name after the =`);
  return [...(prev ?? []), { name: name as ReporterName, ...(file !== undefined ? { file } : {}) }];
}

interface Output {
  reporter: Reporter;
  /** The stream the reporter writes to; stdout is not closed. */
  stream: NodeJS.WritableStream;
  file?: string;
}

/** Every reporter of the run; written to as scenarios finish, then finished and closed. */
export class ReporterSet implements Reporter {
  private constructor(private readonly outputs: Output[]) {}

  /**
   * Refuses what cannot work, before anything is written: two reporters on stdout, two on
   * one file, a file that cannot be written (its directory missing, not ours, or not a
   * file). Neither creates nor empties a file.
   */
  static check(specs: ReporterSpec[], flag = '--reporter'): void {
    const onStdout = specs.filter((s) => s.file === undefined);
    if (onStdout.length > 1) throw new BadInputError(`${flag}: ${onStdout.map((s) => s.name).join(' and ')} would both write to stdout`, { hint: `give all but one a file: ${flag} ${onStdout[1]!.name}=FILE` });
    const files = specs.filter((s) => s.file !== undefined).map((s) => resolve(s.file!));
    const twice = files.find((f, i) => files.indexOf(f) !== i);
    if (twice) throw new BadInputError(`${flag}: two reporters write ${twice}`, { hint: 'give each its own file' });
    for (const s of specs) {
      if (s.file === undefined) continue;
      const file = resolve(s.file);
      const why = unwritable(file);
      if (why) throw cannotWrite(flag, s, file, why);
    }
  }

  /** Checks (as check does), then opens the files, created or emptied. */
  static open(specs: ReporterSpec[], stdout: NodeJS.WritableStream, flag = '--reporter'): ReporterSet {
    ReporterSet.check(specs, flag);
    const outputs: Output[] = [];
    for (const s of specs) {
      if (s.file === undefined) {
        outputs.push({ reporter: makeReporter(s.name, stdout), stream: stdout });
        continue;
      }
      const file = resolve(s.file);
      let fd: number;
      try {
        fd = openSync(file, 'w');
      } catch (e) {
        for (const o of outputs) if (o.file) (o.stream as WriteStream).destroy();
        throw cannotWrite(flag, s, file, (e as NodeJS.ErrnoException).code ?? (e as Error).message);
      }
      const stream = createWriteStream('', { fd });
      outputs.push({ reporter: makeReporter(s.name, stream, { color: false }), stream, file });
    }
    return new ReporterSet(outputs);
  }

  /** The files written, for the closing lines. */
  get files(): string[] {
    return this.outputs.flatMap((o) => (o.file ? [o.file] : []));
  }

  scenarioStarted(s: ScenarioRef): void {
    for (const o of this.outputs) o.reporter.scenarioStarted?.(s);
  }

  scenarioFinished(r: ScenarioResult): void {
    for (const o of this.outputs) o.reporter.scenarioFinished(r);
  }

  /** Writes every file's tail and closes it; returns what is left for stdout. */
  runFinished(run: RunResult): string {
    let forStdout = '';
    for (const o of this.outputs) {
      const tail = o.reporter.runFinished(run);
      if (o.file) (o.stream as WriteStream).end(tail);
      else forStdout += tail;
    }
    return forStdout;
  }

  /** Resolves once every file is flushed and closed. */
  async closed(): Promise<void> {
    await Promise.all(this.outputs.filter((o) => o.file).map((o) => new Promise<void>((res) => {
      const s = o.stream as WriteStream;
      if (s.closed) res();
      else s.once('close', () => res());
    })));
  }
}

/** Why a report file could not be written, found without touching it; undefined when it can. */
function unwritable(file: string): string | undefined {
  let st: Stats | undefined;
  try {
    st = statSync(file);
  } catch (e) {
    // Not there yet (its folder is checked below), or a file where a folder should be.
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') return (e as NodeJS.ErrnoException).code ?? (e as Error).message;
  }
  if (st?.isDirectory()) return 'EISDIR';
  // A FIFO or a device (/dev/null, /dev/stdout) is the user's choice; writing it empties nothing.
  try {
    accessSync(st ? file : dirname(file), constants.W_OK);
    return undefined;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code ?? (e as Error).message;
  }
}

function cannotWrite(flag: string, s: ReporterSpec, file: string, why: string): BadInputError {
  return new BadInputError(`${flag} ${s.name}=${s.file}: cannot write ${file}: ${why}`, { hint: 'name a file in a directory that exists and that you can write' });
}

// Several reporters at once: `--reporter spec --reporter junit=FILE --reporter tap=FILE`.
// Each takes every event; one may write to stdout, the others to their files, which are
// opened before anything runs (a path that cannot be written is bad input, not a lost
// report at the end of a long run).
import { createWriteStream, openSync, type WriteStream } from 'node:fs';
import { resolve } from 'node:path';
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

  /** Opens the files (created or truncated) now, so that a bad path stops the run before it starts. */
  static open(specs: ReporterSpec[], stdout: NodeJS.WritableStream, flag = '--reporter'): ReporterSet {
    const onStdout = specs.filter((s) => s.file === undefined);
    if (onStdout.length > 1) throw new BadInputError(`${flag}: ${onStdout.map((s) => s.name).join(' and ')} would both write to stdout`, { hint: `give all but one a file: ${flag} ${onStdout[1]!.name}=FILE` });
    const files = specs.filter((s) => s.file !== undefined).map((s) => resolve(s.file!));
    const twice = files.find((f, i) => files.indexOf(f) !== i);
    if (twice) throw new BadInputError(`${flag}: two reporters write ${twice}`, { hint: 'give each its own file' });
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
        throw new BadInputError(`${flag} ${s.name}=${s.file}: cannot write ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { hint: 'name a file in a directory that exists and that you can write' });
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

// The guest's serial console: written to a log file as it arrives, recent lines kept
// in memory for crash scanning and the tails attached to errors.
import { createWriteStream, type WriteStream } from 'node:fs';
import { LineLog } from '../crash/line-log.js';

export class ConsoleLog {
  readonly lines = new LineLog();
  private file: WriteStream;

  constructor(readonly path: string) {
    this.file = createWriteStream(path);
  }

  write(chunk: Buffer): void {
    this.file.write(chunk);
    this.lines.write(chunk.toString('utf8'));
  }

  lastLines(n = 40): string {
    return this.lines.lastLines(n).join('\n').trimEnd();
  }

  text(): string {
    return this.lines.lastLines(200).join('\n');
  }

  close(): Promise<void> {
    return new Promise((r) => this.file.end(r));
  }
}

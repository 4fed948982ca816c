// The guest's serial console: written to a log file as it arrives, last lines kept in memory.
import { createWriteStream, type WriteStream } from 'node:fs';

export class ConsoleLog {
  private tail: string[] = [''];
  private file: WriteStream;

  constructor(readonly path: string, private readonly keep = 200) {
    this.file = createWriteStream(path);
  }

  write(chunk: Buffer): void {
    this.file.write(chunk);
    const parts = chunk.toString('utf8').replace(/\r/g, '').split('\n');
    this.tail[this.tail.length - 1] += parts[0] ?? '';
    this.tail.push(...parts.slice(1));
    if (this.tail.length > this.keep) this.tail.splice(0, this.tail.length - this.keep);
  }

  lastLines(n = 40): string {
    return this.tail.slice(-n).join('\n').trimEnd();
  }

  text(): string {
    return this.tail.join('\n');
  }

  close(): Promise<void> {
    return new Promise((r) => this.file.end(r));
  }
}

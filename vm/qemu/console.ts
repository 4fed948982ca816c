// The guest's serial console: written to a log file as it arrives, recent lines kept
// in memory for crash scanning and the tails attached to errors. Anything in the guest
// running as root can write to it, so the file stops at MAX_CONSOLE_FILE bytes (as step
// output stops at its limit) and ends with a note of what was dropped; the lines kept
// in memory are bounded by LineLog.
import { StringDecoder } from 'node:string_decoder';
import { createWriteStream, type WriteStream } from 'node:fs';
import { LineLog } from '../crash/line-log.js';

/** A guest's console log is kept up to this many bytes. */
export const MAX_CONSOLE_FILE = 64 * 1024 * 1024;

export class ConsoleLog {
  readonly lines = new LineLog();
  private file: WriteStream;
  private written = 0;
  private dropped = 0;
  // A chunk may end inside a UTF-8 character.
  private readonly decoder = new StringDecoder('utf8');

  constructor(readonly path: string, private readonly limit = MAX_CONSOLE_FILE) {
    this.file = createWriteStream(path);
  }

  write(chunk: Buffer): void {
    const room = this.limit - this.written;
    if (room > 0) this.file.write(chunk.length > room ? chunk.subarray(0, room) : chunk);
    this.written += Math.min(chunk.length, Math.max(0, room));
    this.dropped += Math.max(0, chunk.length - Math.max(0, room));
    this.lines.write(this.decoder.write(chunk));
  }

  /** Bytes past the limit that the file does not hold. */
  get droppedBytes(): number {
    return this.dropped;
  }

  lastLines(n = 40): string {
    return this.lines.lastLines(n).join('\n').trimEnd();
  }

  text(): string {
    return this.lines.lastLines(200).join('\n');
  }

  close(): Promise<void> {
    if (this.dropped) this.file.write(`\n[bpf-harness: console output past ${this.limit} bytes dropped: ${this.dropped} bytes]\n`);
    return new Promise((r) => this.file.end(r));
  }
}

// Kernel message lines as they stream in, numbered from the first, the newest kept:
// a scenario marks where it began and later reads what came since. What comes in is
// anyone's (a scenario running as root in the guest can write to the console): lines are
// cut at MAX_LINE characters, saying so, and each write costs time linear in its own
// length (the unfinished line is not joined and split again: 32 MiB with no newline
// took 46 s that way, with the event loop stuck).

/** A kernel message is at most about 1 KiB (printk's limit); past this a line is cut. */
export const MAX_LINE = 4096;

/**
 * Streamed text into lines, each cut at MAX_LINE characters with a note of how many were
 * dropped; each write costs time linear in its own length. The console's LineLog and the
 * kernel log stream (which parses whole kmsg lines) both split through one.
 */
export class LineSplitter {
  private partial = '';
  /** Characters of the unfinished line dropped past MAX_LINE. */
  private cut = 0;

  /** The lines this text completes. */
  write(text: string): string[] {
    const done: string[] = [];
    for (let start = 0; ;) {
      const nl = text.indexOf('\n', start);
      this.extend(nl < 0 ? text.slice(start) : text.slice(start, nl));
      if (nl < 0) return done;
      done.push(this.pending);
      this.partial = '';
      this.cut = 0;
      start = nl + 1;
    }
  }

  private extend(piece: string): void {
    const text = piece.includes('\r') ? piece.replace(/\r/g, '') : piece;
    const room = MAX_LINE - this.partial.length;
    if (room > 0) this.partial += text.length > room ? text.slice(0, room) : text;
    this.cut += Math.max(0, text.length - Math.max(0, room));
  }

  /** The unfinished line as kept ('' when none): cut lines say how much was dropped. */
  get pending(): string {
    return this.cut ? `${this.partial} [line cut: ${this.cut} more characters dropped]` : this.partial;
  }
}

export class LineLog {
  private lines: string[] = [];
  /** Number of the first line still kept (earlier ones were dropped). */
  private first = 0;
  private readonly splitter = new LineSplitter();

  /** Set when the stream feeding it ended: nothing more will come. */
  ended = false;

  constructor(private readonly keep = 5000) {}

  /** Append streamed text; a line counts once its newline arrived. */
  write(text: string): void {
    for (const line of this.splitter.write(text)) this.lines.push(line);
    const over = this.lines.length - this.keep;
    if (over > 0) {
      this.lines.splice(0, over);
      this.first += over;
    }
  }

  /** A position to read from later. */
  mark(): number {
    return this.first + this.lines.length;
  }

  /** Complete lines since the mark (those still kept), plus the unfinished last one. */
  since(mark: number): string[] {
    const out = this.lines.slice(Math.max(0, mark - this.first));
    const pending = this.splitter.pending;
    return pending ? [...out, pending] : out;
  }

  /** Whether a line since the mark contains the text. */
  has(mark: number, text: string): boolean {
    return this.since(mark).some((l) => l.includes(text));
  }

  lastLines(n: number): string[] {
    return this.since(this.mark() - n);
  }
}

// Kernel message lines as they stream in, numbered from the first, the newest kept:
// a scenario marks where it began and later reads what came since.

export class LineLog {
  private lines: string[] = [];
  /** Number of the first line still kept (earlier ones were dropped). */
  private first = 0;
  private partial = '';

  /** Set when the stream feeding it ended: nothing more will come. */
  ended = false;

  constructor(private readonly keep = 5000) {}

  /** Append streamed text; a line counts once its newline arrived. */
  write(text: string): void {
    const parts = (this.partial + text.replace(/\r/g, '')).split('\n');
    this.partial = parts.pop() ?? '';
    this.lines.push(...parts);
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
    return this.partial ? [...out, this.partial] : out;
  }

  /** Whether a line since the mark contains the text. */
  has(mark: number, text: string): boolean {
    return this.since(mark).some((l) => l.includes(text));
  }

  lastLines(n: number): string[] {
    return this.since(this.mark() - n);
  }
}

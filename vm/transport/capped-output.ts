// A command's output stream kept up to a limit: past it, bytes are counted and dropped,
// so that a command printing without end cannot take the harness's memory with it.

/** A scenario step keeps at most this much of each output stream (README "Limits"). */
export const STEP_OUTPUT_LIMIT = 16 * 1024 * 1024;

export class CappedOutput {
  private readonly chunks: Buffer[] = [];
  private kept = 0;
  /** Bytes that arrived past the limit. */
  dropped = 0;

  constructor(private readonly limit: number) {}

  push(d: Buffer): void {
    const room = Math.max(0, this.limit - this.kept);
    const take = Math.min(room, d.length);
    if (take > 0) {
      this.chunks.push(take === d.length ? d : d.subarray(0, take));
      this.kept += take;
    }
    this.dropped += d.length - take;
  }

  bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

// The kernel's messages on a second SSH channel of the target's connection: `dmesg -w`
// where util-linux has it, else /dev/kmsg (busybox's dmesg cannot follow); the command
// ends with the channel. Crash
// scanning reads it; the history it starts with is skipped by waiting for a marker
// the stream's own command writes first.
import { randomUUID } from 'node:crypto';
import { LineLog, LineSplitter } from '../crash/line-log.js';
import { shellQuote, type SshConnection } from './ssh.js';

// -p: a timestamp on every line of a multi-line message, so no line starts with a space.
const MAX_RESTARTS = 5;

/**
 * The follower, and a watcher on the channel's stdin: `dmesg -w` on a quiet kernel blocks
 * in read and would never notice that the channel closed or the connection died (on a
 * host it outlived the run, as root), so when stdin ends the watcher ends the follower.
 * When the follower ends by itself (busybox's cat on an overrun), so does the command,
 * and the stream is followed again.
 */
export const KERNEL_LOG_STREAM_CMD = [
  // A job in the background reads /dev/null, not the channel, unless given a copy of it.
  'exec 3<&0',
  'if dmesg --version 2>/dev/null | grep -q util-linux; then dmesg -w -p 3<&- & else cat /dev/kmsg 3<&- & fi',
  'f=$!',
  '{ cat > /dev/null; kill $f; } <&3 3<&- >/dev/null 2>&1 &',
  'w=$!',
  'exec 3<&-',
  'wait $f',
  'kill $w 2>/dev/null',
].join('\n');

/** "6,1234,5678901,-;text" (a /dev/kmsg record) -> "text"; dictionary lines (" KEY=v") -> undefined. */
export function kmsgText(line: string): string | undefined {
  if (line.startsWith(' ')) return undefined;
  const m = /^\d+,\d+,\d+,[^;]*;(.*)$/.exec(line);
  return m ? m[1] : line;
}

export class KernelLogStream {
  readonly log = new LineLog();
  /** Resolves once the first stream's marker came back: from then on, lines are new. */
  readonly ready: Promise<void>;
  private stream?: ReturnType<SshConnection['stream']>;
  private closed = false;
  private restarts = 0;

  /** `prefix` runs the stream as root on hosts reached as another user (e.g. "sudo -n "). */
  constructor(private readonly ssh: SshConnection, private readonly prefix = '') {
    this.ready = this.open();
  }

  /**
   * One stream: it writes a fresh marker into the kernel log, then follows the log from
   * its start, and what comes before the marker (history) is skipped. Resolves when the
   * marker came back, or the stream ended without it.
   */
  private open(): Promise<void> {
    const marker = `bpf-harness: kernel log stream ${randomUUID()}`;
    let markerSeen!: () => void;
    const seen = new Promise<void>((r) => (markerSeen = r));
    const splitter = new LineSplitter();
    let live = false;
    const cmd = `echo ${shellQuote(marker)} > /dev/kmsg\n${KERNEL_LOG_STREAM_CMD}`;
    const stream = this.ssh.stream(`${this.prefix}sh -c ${shellQuote(cmd)}`, (text) => {
      // Whole lines only (kmsg's prefix is parsed), each cut at MAX_LINE with a note.
      const lines = splitter.write(text).map(kmsgText).filter((l): l is string => l !== undefined);
      if (!live) {
        const at = lines.findIndex((l) => l.includes(marker));
        if (at < 0) return;
        live = true;
        markerSeen();
        lines.splice(0, at + 1);
      }
      if (lines.length) this.log.write(lines.join('\n') + '\n');
    });
    this.stream = stream;
    void stream.ended.then(() => {
      markerSeen();
      // busybox's cat ends on EPIPE when the ring buffer overran it: follow again, while
      // the connection lasts (messages in the gap are lost, as they were overwritten).
      if (!this.closed && this.ssh.isOpen && live && this.restarts++ < MAX_RESTARTS) void this.open();
      else this.log.ended = true;
    });
    return seen;
  }

  close(): void {
    this.closed = true;
    this.stream?.close();
  }
}

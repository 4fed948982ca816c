// The kernel's messages on a second SSH channel of the target's connection: `dmesg -w`
// where util-linux has it, else /dev/kmsg (busybox's dmesg cannot follow). Crash
// scanning reads it; the history it starts with is skipped by waiting for a marker.
import { LineLog } from '../../vm/crash/line-log.js';
import { shellQuote, type SshConnection } from './ssh.js';

// -p: a timestamp on every line of a multi-line message, so no line starts with a space.
export const KERNEL_LOG_STREAM_CMD = 'dmesg -w -p 2>/dev/null || exec cat /dev/kmsg';

/** "6,1234,5678901,-;text" (a /dev/kmsg record) -> "text"; dictionary lines (" KEY=v") -> undefined. */
export function kmsgText(line: string): string | undefined {
  if (line.startsWith(' ')) return undefined;
  const m = /^\d+,\d+,\d+,[^;]*;(.*)$/.exec(line);
  return m ? m[1] : line;
}

export class KernelLogStream {
  readonly log = new LineLog();
  /** Resolves once the marker written at open came back: from then on, lines are new. */
  readonly ready: Promise<void>;
  private readonly stream: ReturnType<SshConnection['stream']>;
  private partial = '';

  /** `prefix` runs the stream as root on hosts reached as another user (e.g. "sudo -n "). */
  constructor(ssh: SshConnection, marker: string, prefix = '') {
    let markerSeen!: () => void;
    this.ready = new Promise((r) => (markerSeen = r));
    let open = false;
    this.stream = ssh.stream(`${prefix}sh -c ${shellQuote(KERNEL_LOG_STREAM_CMD)}`, (text) => {
      const parts = (this.partial + text).split('\n');
      this.partial = parts.pop() ?? '';
      const lines = parts.map(kmsgText).filter((l): l is string => l !== undefined);
      if (!open) {
        const at = lines.findIndex((l) => l.includes(marker));
        if (at < 0) return;
        open = true;
        markerSeen();
        lines.splice(0, at + 1);
      }
      if (lines.length) this.log.write(lines.join('\n') + '\n');
    });
    // A stream that ended never shows the marker; nobody waits forever on it.
    void this.stream.ended.then(() => {
      this.log.ended = true;
      markerSeen();
    });
  }

  close(): void {
    this.stream.close();
  }
}

// The QEMU Machine Protocol over a unix socket: one command at a time, replies in order,
// asynchronous events ignored. Used only to save snapshots (migrate, query-migrate, cont).
import { connect, type Socket } from 'node:net';

export class QmpError extends Error {}

interface Reply {
  return?: unknown;
  error?: { class: string; desc: string };
}

export class Qmp {
  private buf = '';
  private waiting: ((r: Reply) => void)[] = [];
  private failed?: Error;

  private constructor(private readonly sock: Socket) {
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => {
      this.buf += d;
      for (let i = this.buf.indexOf('\n'); i >= 0; i = this.buf.indexOf('\n')) {
        const line = this.buf.slice(0, i).trim();
        this.buf = this.buf.slice(i + 1);
        if (!line) continue;
        const msg = JSON.parse(line) as Reply & { QMP?: unknown; event?: string };
        if ('return' in msg || 'error' in msg) this.waiting.shift()?.(msg);
      }
    });
    const lost = (why: string) => {
      this.failed ??= new QmpError(`QEMU's monitor connection ${why}`);
      for (const w of this.waiting.splice(0)) w({ error: { class: 'Lost', desc: this.failed.message } });
    };
    sock.on('error', (e) => lost(`failed: ${e.message}`));
    sock.on('close', () => lost('closed'));
  }

  /** Connect to QEMU's -qmp socket, retrying while QEMU has not made it yet, and enter command mode. */
  static async open(path: string, timeoutMs = 10000): Promise<Qmp> {
    const t0 = Date.now();
    for (;;) {
      const sock = await new Promise<Socket | Error>((res) => {
        const s = connect(path);
        s.once('connect', () => res(s));
        s.once('error', (e) => res(e));
      });
      if (!(sock instanceof Error)) {
        const q = new Qmp(sock);
        // The greeting has no "return"; qmp_capabilities' reply is the first that does.
        await q.execute('qmp_capabilities');
        return q;
      }
      if (Date.now() - t0 > timeoutMs) throw new QmpError(`QEMU's monitor socket ${path} did not answer within ${timeoutMs} ms: ${sock.message}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  execute<T = unknown>(command: string, args?: Record<string, unknown>): Promise<T> {
    if (this.failed) return Promise.reject(this.failed);
    return new Promise((resolve, reject) => {
      this.waiting.push((r) => (r.error ? reject(new QmpError(`${command}: ${r.error.desc}`)) : resolve(r.return as T)));
      this.sock.write(`${JSON.stringify({ execute: command, ...(args ? { arguments: args } : {}) })}\n`);
    });
  }

  close(): void {
    this.sock.destroy();
  }
}

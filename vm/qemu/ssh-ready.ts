// Waiting for a guest's SSH server. Until the guest listens, user-mode networking accepts
// a connection on the forwarded port and then holds it, retrying its SYN to the guest on
// TCP's slow timers (seconds); an SSH handshake on such a connection waits all that out.
// So cheap TCP probes start every PROBE_EVERY_MS, each kept only a short while, and the
// first that sees the server's banner carries the one SSH handshake: a guest under TCG
// pays for one key exchange, not for a crowd of them. At most MAX_PROBES are out at once:
// each one that reaches a listening server costs the guest a forked dropbear, and on a
// loaded host an unbounded stream of them (40 a second, each kept longer as the wait
// went on) kept a restored guest, whose server listens from the first instant, too busy
// forking to send any banner within 45 s, while the cold boot after it came up in 22 s.
import { setMaxListeners } from 'node:events';
import { connect, type Socket } from 'node:net';
import { SshConnection } from '../transport/ssh.js';

export interface SshWait {
  port: number;
  privateKey: string;
  /** The image's pinned host key. */
  hostKey: string;
  timeoutMs: number;
  /** Run every tick; throws to give up (QEMU exited, the guest said its network failed). */
  check: () => Promise<void>;
  /** What proves the guest ready, made when it runs; it must print `uname -r` last. Default: uname -r. */
  command?: () => { cmd: string; input?: Buffer };
}

export class NoSshError extends Error {}

const PROBE_EVERY_MS = 25;
const MAX_PROBES = 6;
/** A probe with no banner by then is most likely held by user-mode networking: a newer one gets through sooner. */
const PROBE_LIFETIME_MS = 1500;
const HANDSHAKE_TIMEOUT_MS = 10000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A socket that saw the server's first bytes, put back for the SSH client to read; undefined when none came in time. */
function probe(port: number, lifetimeMs: number, stop: AbortSignal): Promise<Socket | undefined> {
  return new Promise((resolve) => {
    const sock = connect({ host: '127.0.0.1', port });
    sock.setNoDelay(true);
    const finish = (banner?: Buffer) => {
      clearTimeout(timer);
      stop.removeEventListener('abort', onStop);
      sock.removeAllListeners('data');
      sock.removeAllListeners('close');
      if (!banner) {
        sock.destroy();
        return resolve(undefined);
      }
      sock.pause();
      sock.unshift(banner);
      resolve(sock);
    };
    const onStop = () => finish();
    const timer = setTimeout(finish, lifetimeMs);
    stop.addEventListener('abort', onStop, { once: true });
    sock.once('data', (d: Buffer) => finish(d));
    sock.once('close', () => finish());
    sock.on('error', () => {});
  });
}

/** The first SSH connection that ran the ready command, and the `uname -r` it printed. */
export async function waitForSsh(o: SshWait): Promise<{ ssh: SshConnection; release: string }> {
  const t0 = Date.now();
  const stop = new AbortController();
  setMaxListeners(0, stop.signal);
  let lastErr = 'no SSH banner yet';
  let handshaking = false;
  let probing = 0;
  let ready: { ssh: SshConnection; release: string } | undefined;
  const handshake = async (sock: Socket) => {
    handshaking = true;
    try {
      const ssh = await SshConnection.connect({
        host: '127.0.0.1', port: o.port, sock, username: 'root', privateKey: o.privateKey, hostKey: o.hostKey,
        readyTimeoutMs: HANDSHAKE_TIMEOUT_MS, signal: stop.signal,
      });
      const { cmd, input } = o.command?.() ?? { cmd: 'uname -r' };
      const r = await ssh.exec(cmd, { timeoutMs: 10000, input }).catch((e: Error) => ({ exit: -1, stdout: '', stderr: e.message }));
      if (r.exit !== 0 || stop.signal.aborted) {
        ssh.close();
        lastErr = `${cmd} failed in the guest: ${r.stderr.trim()}`;
        return;
      }
      ready = { ssh, release: r.stdout.trim().split('\n').pop() ?? '' };
    } catch (e) {
      lastErr = (e as Error).message;
    } finally {
      handshaking = false;
    }
  };
  const startProbe = async () => {
    // A guest slow to answer (a loaded machine) gets longer windows as the wait goes on.
    probing++;
    const sock = await probe(o.port, Math.max(PROBE_LIFETIME_MS, (Date.now() - t0) / 2), stop.signal).finally(() => probing--);
    if (!sock) return;
    if (handshaking || ready || stop.signal.aborted) return void sock.destroy();
    await handshake(sock);
  };
  try {
    while (!ready) {
      await o.check();
      if (Date.now() - t0 > o.timeoutMs) throw new NoSshError(`no SSH within ${o.timeoutMs / 1000} s (last SSH error: ${lastErr})`);
      // None while a handshake runs: each probe that reaches the server costs the guest a process.
      if (!handshaking && probing < MAX_PROBES) void startProbe();
      await sleep(PROBE_EVERY_MS);
    }
    return ready;
  } finally {
    stop.abort();
  }
}

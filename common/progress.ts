// Progress for long work (downloads, image builds, boots) goes to stderr so that
// machine-readable reporters on stdout stay clean.
let quiet = false;

export function setQuiet(q: boolean): void {
  quiet = q;
}

export function progress(msg: string): void {
  if (!quiet) process.stderr.write(`bpf-harness: ${msg}\n`);
}

export async function timed<T>(what: string, fn: () => Promise<T>): Promise<T> {
  const t0 = Date.now();
  progress(`${what} ...`);
  const r = await fn();
  progress(`${what}: done in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
  return r;
}

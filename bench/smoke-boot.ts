// Scratch: boot debian-6.12 and record bpftool -d prog loadall output for objects given on argv.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { basename } from 'node:path';
import { fetchDebianImage } from '../kernels/fetch/debian-image.js';
import { guestImage } from '../vm/image/build.js';
import { bootGuest } from '../vm/qemu/target.js';
const [outDir, ...objs] = process.argv.slice(2);
const k = await fetchDebianImage('debian-6.12', 'linux-image-6.12.117+deb12-amd64', 'x');
const img = await guestImage(k);
const t = await bootGuest(k, img, { accel: 'tcg', logDir: '/tmp/smoke' });
mkdirSync(outDir!, { recursive: true });
for (const o of objs) {
  const n = basename(o, ".bpf.o");
  await t.push(readFileSync(o), `/tmp/${n}.o`);
  const r = await t.exec(`mkdir -p /sys/fs/bpf/${n} && bpftool -d prog loadall /tmp/${n}.o /sys/fs/bpf/${n} 2>&1`);
  writeFileSync(`${outDir}/${n}.txt`, r.stdout);
  console.log(n, 'exit', r.exit, r.durationMs, 'ms');
}
await t.close();

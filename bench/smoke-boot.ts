import { fetchDebianImage } from '../kernels/fetch/debian-image.js';
import { guestImage } from '../vm/image/build.js';
import { bootGuest } from '../vm/qemu/target.js';
const k = await fetchDebianImage('debian-6.12', 'linux-image-6.12.117+deb12-amd64', 'x');
const img = await guestImage(k);
const t = await bootGuest(k, img, { accel: 'tcg', logDir: '/tmp/smoke' });
console.log(await t.exec('uname -a; bpftool version; ls /sys/fs/bpf; cat /proc/meminfo | head -2'));
await t.close();

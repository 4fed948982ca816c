// bpf-harness vm up: boot a guest and keep it until Ctrl-C, to reproduce by hand.
import { clientKey } from '../../transport/keys.js';
import { kernelArtifacts } from '../../../kernels/resolve.js';
import { guestImage } from '../../../vm/image/build.js';
import { chooseAccel, type Accel } from '../../../vm/qemu/accel.js';
import { bootGuest } from '../../../vm/qemu/target.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export async function vmUp(kernel: string, accelFlag: string, memoryMiB: number): Promise<number> {
  const art = await kernelArtifacts(kernel);
  const image = await guestImage(art);
  const accel = await chooseAccel(accelFlag as 'auto' | Accel, art.bzImage);
  const dir = mkdtempSync(join(tmpdir(), 'bpf-harness-vm-'));
  // Ctrl-C ends the process from the QEMU guard's handler: the scratch dir goes on exit.
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  const guest = await bootGuest(art, image, { accel, memoryMiB, logDir: dir });
  const key = await clientKey();
  const knownHosts = join(dir, 'known_hosts');
  writeFileSync(knownHosts, `[127.0.0.1]:${guest.port} ${image.hostKey}\n`);
  process.stdout.write(
    `guest ${art.name} (${guest.release}) is up; console log: ${guest.consolePath}\n` +
      `  ssh -i ${key.privateKeyPath} -o UserKnownHostsFile=${knownHosts} -p ${guest.port} root@127.0.0.1\n` +
      `(files live in ${dir} while it runs)\n` +
      `Press Ctrl-C to stop it.\n`,
  );
  await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
  await guest.close();
  return 0;
}

// A Debian image's tools and selftests come from its own source version where apt still
// has it, not from whatever linux-source-X.Y is newest (Debian's 6.12.117 image beside a
// 6.12.118 source package, say); a recipe's pinned version (PACKAGE=VERSION) is that
// version or bad input. Asks the host's real apt; nothing is downloaded.
import { execa } from 'execa';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { candidateVersion, versionAvailable } from '../common/apt.js';
import { BadInputError } from '../common/errors.js';
import { debianSourceIdentity } from '../kernels/source/debian-source.js';

const cache = mkdtempSync(join(tmpdir(), 'debian-source-version-'));
process.env.BPF_HARNESS_CACHE = cache;
t.teardown(() => rmSync(cache, { recursive: true, force: true }));

const PKG = 'linux-source-6.12';
const NOT_THERE = '6.12.0-0~never1';

t.test('the image\'s own version where apt has it, else the candidate', async (t) => {
  const candidate = await candidateVersion(PKG);
  t.ok(candidate, `apt knows ${PKG}`);
  t.equal(await versionAvailable(PKG, candidate!), true);
  t.equal(await versionAvailable(PKG, NOT_THERE), false);
  t.equal((await debianSourceIdentity(PKG, 'k.yaml', { version: NOT_THERE, pinned: false })).version, candidate, 'a version apt lacks falls back to the candidate');
  t.equal((await debianSourceIdentity(PKG, 'k.yaml')).identity, `${PKG}=${candidate}`);

  // Debian's security archive keeps earlier point releases beside the newest.
  const versions = (await execa('apt-cache', ['madison', PKG])).stdout.split('\n').map((l) => l.split('|')[1]?.trim()).filter(Boolean);
  const older = versions.find((v) => v !== candidate);
  t.ok(older, `apt lists an earlier ${PKG} than ${candidate}: ${versions.join(', ')}`);
  t.equal((await debianSourceIdentity(PKG, 'k.yaml', { version: older!, pinned: false })).version, older, 'an earlier version apt has is taken as asked');
  // Kept with apt's other answers, so a later run does not ask apt-cache again.
  const kept = JSON.parse(readFileSync(join(cache, 'apt-candidates.json'), 'utf8')) as { available: Record<string, boolean> };
  t.same(kept.available, { [`${PKG}=${candidate}`]: true, [`${PKG}=${NOT_THERE}`]: false, [`${PKG}=${older}`]: true });
});

t.test('a pinned version: taken where apt has it, bad input where it does not', async (t) => {
  const versions = (await execa('apt-cache', ['madison', PKG])).stdout.split('\n').map((l) => l.split('|')[1]?.trim()).filter(Boolean);
  const oldest = versions.at(-1)!;
  t.same(await debianSourceIdentity(PKG, 'k.yaml', { version: oldest, pinned: true }), { identity: `${PKG}=${oldest}`, version: oldest });
  const e = await debianSourceIdentity(PKG, 'kernels/k.yaml', { version: NOT_THERE, pinned: true }).catch((x: unknown) => x);
  t.type(e, BadInputError);
  t.match((e as BadInputError).message, `kernels/k.yaml: debian-source ${PKG}=${NOT_THERE} is not available from apt`);
  t.match((e as BadInputError).hint, `apt-cache madison ${PKG}`);
});

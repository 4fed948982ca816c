// known_hosts checks with real keys made by ssh-keygen: a key on an @revoked line is
// refused, even with --accept-new-host-key and even where another line lists it.
import { execa } from 'execa';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { InfraError } from '../common/errors.js';
import { hostKeyCheck, knownKeys } from '../vm/ssh-host/known-hosts.js';

const dir = mkdtempSync(join(tmpdir(), 'known-hosts-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

interface Key {
  /** "ssh-ed25519 AAAA..." as known_hosts lists it. */
  line: string;
  blob: Buffer;
}

async function newKey(name: string): Promise<Key> {
  const file = join(dir, name);
  await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', file]);
  const [type, b64] = readFileSync(`${file}.pub`, 'utf8').trim().split(/\s+/);
  return { line: `${type} ${b64}`, blob: Buffer.from(b64!, 'base64') };
}

const HOST = '[bpf-box.lab]:2222';
const [revokedEverywhere, listedAndRevoked, listed, unknown] = await Promise.all(['everywhere', 'listed-revoked', 'listed', 'unknown'].map(newKey));

function knownHosts(name: string, lines: string[]): string {
  const file = join(dir, name);
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

t.test('a host listed by no plain line: its revoked key is refused even with --accept-new-host-key', async (t) => {
  const file = knownHosts('revoked-only', ['# revoked for every host', `@revoked * ${revokedEverywhere!.line}`]);
  const known = await knownKeys(file, HOST);
  t.same(known.keys, [], 'no key listed for the host');
  t.equal(known.revoked.length, 1);
  const check = hostKeyCheck(file, HOST, known, true);
  t.equal(check.verify(revokedEverywhere!.blob), false, 'refused');
  const why = check.refusal();
  t.ok(why instanceof InfraError, 'as a refused key is: exit 3');
  t.match(why?.message, `the host key of ${HOST} (ssh-ed25519 SHA256:`);
  t.match(why?.message, `is marked @revoked in ${file}:2: refusing to connect, with or without --accept-new-host-key`, 'names the file and line');
  check.commit();
  t.equal(readFileSync(file, 'utf8'), `# revoked for every host\n@revoked * ${revokedEverywhere!.line}\n`, 'nothing added to known_hosts');

  // Only that key: another one of the same new host is accepted as new and added.
  const other = hostKeyCheck(file, HOST, known, true);
  t.equal(other.verify(unknown!.blob), true, 'a key that is not revoked is new, and accepted');
  other.commit();
  t.match(readFileSync(file, 'utf8'), `\n${HOST} ${unknown!.line}\n`, 'and added');
});

t.test('a key listed for the host and also revoked is refused; the other listed key is accepted', async (t) => {
  const file = knownHosts('listed-and-revoked', [
    `${HOST} ${listedAndRevoked!.line}`,
    `${HOST} ${listed!.line}`,
    `@revoked ${HOST} ${listedAndRevoked!.line}`,
    `@revoked other.lab ${listed!.line}`,
  ]);
  const known = await knownKeys(file, HOST);
  t.equal(known.keys.length, 2, 'both plain lines found');
  t.same(known.revoked.map((r) => r.line), [3], 'the revocation of another host does not apply');
  for (const acceptNew of [false, true]) {
    const check = hostKeyCheck(file, HOST, known, acceptNew);
    t.equal(check.verify(listedAndRevoked!.blob), false, `accept-new ${acceptNew}: the revoked key is refused though listed`);
    t.match(check.refusal()?.message, `@revoked in ${file}:3`);
    t.equal(hostKeyCheck(file, HOST, known, acceptNew).verify(listed!.blob), true, `accept-new ${acceptNew}: the listed key is accepted`);
  }
});

t.test('hashed host names: the revocation still applies', async (t) => {
  const file = knownHosts('hashed', [`${HOST} ${listed!.line}`, `@revoked ${HOST} ${listedAndRevoked!.line}`]);
  await execa('ssh-keygen', ['-q', '-H', '-f', file]);
  t.notMatch(readFileSync(file, 'utf8').split('\n')[0], HOST, 'the listed name is hashed');
  const known = await knownKeys(file, HOST);
  t.equal(hostKeyCheck(file, HOST, known, true).verify(listed!.blob), true, 'the listed key is found through its hash');
  t.equal(hostKeyCheck(file, HOST, known, true).verify(listedAndRevoked!.blob), false, 'the revoked key is refused');
});

// {lore: MSGID} patch entries: the thread's series fetched once with b4 (Debian's b4
// package) as an mbox in the cache; later builds, offline included, use that file.
import { execa } from 'execa';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { BadInputError, InfraError } from '../../common/errors.js';
import { cacheDir } from '../../common/paths.js';
import { progress } from '../../common/progress.js';

const loreDir = (id: string) => cacheDir('lore', createHash('sha256').update(id).digest('hex').slice(0, 16));
const bare = (msgid: string) => msgid.replace(/^<|>$/g, '');

/** The mbox fetched earlier for this Message-ID, if any. */
export function cachedLoreSeries(msgid: string): string | undefined {
  const mbox = join(loreDir(bare(msgid)), 'series.mbx');
  return existsSync(mbox) ? mbox : undefined;
}

export async function loreSeries(msgid: string): Promise<string> {
  const id = bare(msgid);
  const dir = loreDir(id);
  const mbox = join(dir, 'series.mbx');
  if (existsSync(mbox)) return mbox;
  const b4 = await execa('b4', ['--version'], { reject: false }).catch(() => undefined);
  if (!b4 || b4.exitCode !== 0) {
    throw new BadInputError(`patches: {lore: ${id}} needs b4, which is not installed`, {
      hint: 'apt-get install b4, or save the series as an mbox file (b4 am -o DIR MSGID elsewhere) and list that file',
    });
  }
  progress(`fetching ${id} from lore.kernel.org with b4`);
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    const r = await execa('b4', ['am', '--no-cover', '-o', tmp, '-n', 'series', '--', id], {
      reject: false, all: true, timeout: 120_000,
    });
    const got = readdirSync(tmp).find((f) => f.endsWith('.mbx'));
    if (r.exitCode !== 0 || !got) {
      throw new InfraError(`b4 could not fetch ${id} (no network, or no such message?):\n${(r.all ?? '').trim().split('\n').slice(-2).join('\n')}\n` +
        'offline, save the series as an mbox file on a connected machine (b4 am -o DIR MSGID) and list that file under patches:');
    }
    mkdirSync(dir, { recursive: true });
    renameSync(join(tmp, got), mbox);
    return mbox;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

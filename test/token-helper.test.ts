// The token helper's argument handling, run on the host as the real compiled binary
// (--print shows the bpffs delegate options it would set; bad usage exits 2).
import t from 'tap';
import { execa } from 'execa';
import { tokenHelper } from '../vm/helpers/guest-helpers.js';

const helper = await tokenHelper();
const run = (args: string[]) => execa(helper, args, { reject: false, all: true });

t.test('delegation lists become bpffs delegate_* options', async (t) => {
  const r = await run(['--cmds', 'prog_load,map_create', '--maps', 'array', '--progs', 'xdp', '--attachs', 'any', '--print']);
  t.equal(r.exitCode, 0);
  t.equal(r.stdout, 'delegate_cmds=prog_load:map_create\ndelegate_maps=array\ndelegate_progs=xdp\ndelegate_attachs=any\nuid=1000');
  const u = await run(['--uid', '1234', '--cmds', 'any', '--print']);
  t.equal(u.stdout, 'delegate_cmds=any\nuid=1234', 'only the lists given; --uid');
});

t.test('bad usage exits 2 with the reason', async (t) => {
  const cases: [string[], RegExp][] = [
    [['--cmds'], /a delegation option without its list/],
    [['--cmds', 'Prog-Load', '--', 'true'], /--cmds Prog-Load: names are lower-case letters, digits and _/],
    [['--cmds', '', '--', 'true'], /an empty delegation list/],
    [['--uid', '0', '--', 'true'], /--uid 0: a non-zero number/],
    [['--uid', 'x', '--', 'true'], /--uid x: a non-zero number/],
    [['--uid', '4294967296', '--', 'true'], /--uid 4294967296: a non-zero number/],
    [['--bogus', '--', 'true'], /unknown option --bogus/],
    [['--cmds', 'any'], /no command after --/],
    [['--cmds', 'any', '--'], /no command after --/],
  ];
  for (const [args, msg] of cases) {
    const r = await run(args);
    t.equal(r.exitCode, 2, `${args.join(' ')}: exit 2`);
    t.match(r.stderr, msg, `${args.join(' ')}: message`);
    t.match(r.stderr, /usage: bpf-harness-token /, 'usage shown');
  }
});

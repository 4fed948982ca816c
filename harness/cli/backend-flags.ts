// The backends' own flags (vm/registry.ts: BackendFlag) as commander options: the CLI
// knows no backend, it asks the registry which flags each command offers. Values are
// checked as the command line is read (exit 2, naming the flag); a flag not given stays
// undefined, so backendFor tells it from a default and fills that in.
import { Command, InvalidArgumentError, Option } from 'commander';
import { allBackends } from '../../vm/backends/index.js';
import { flagValueProblem, type BackendFlag, type TargetCommand } from '../../vm/registry.js';
import { parseIntFlag } from './flags.js';

function optionOf(f: BackendFlag): Option {
  const names = `${f.short ? `-${f.short}, ` : ''}--${f.name}`;
  const bad = (v: unknown) => {
    const problem = flagValueProblem(f, v);
    if (problem) throw new InvalidArgumentError(problem);
  };
  switch (f.kind) {
    case 'switch':
      return new Option(names, f.describe);
    case 'choice':
      // The default in --help as commander writes one; the value itself is left to backendFor (see above).
      return new Option(`${names} <${f.name}>`, `${f.describe} (default: "${f.default}")`).choices(f.choices);
    case 'int':
      return new Option(`${names} <${f.value}>`, `${f.describe} (${f.min} to ${f.max}) (default: ${f.default})`).argParser(parseIntFlag(f.min, f.max));
    case 'text':
      return new Option(`${names} <${f.value}>`, f.describe).argParser((v: string, prev: unknown): unknown => {
        bad(v);
        return f.repeatable ? [...((prev as string[] | undefined) ?? []), v] : v;
      });
  }
}

/** The flags every backend offers on this command, added to it. */
export function withBackendFlags(c: Command, command: TargetCommand): Command {
  for (const b of allBackends()) for (const f of b.flags.filter((x) => x.commands.includes(command))) c.addOption(optionOf(f));
  return c;
}

// What a compiled selftest object holds for the loader: its programs in libbpf's order
// and each program's `comment:test_...` decl tags, read with the host's bpftool (BTF as
// JSON) and llvm-readelf (sections and symbols as JSON). Cached beside the object.
import { execa } from 'execa';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { InfraError } from '../../common/errors.js';
import { requireCommand } from '../../common/host-commands.js';
import { CLANG } from '../../common/host-commands.js';

export interface ObjectPrograms {
  /** Programs (not subprograms) in libbpf's order: by section, then by symbol. */
  programs: { name: string; section: string }[];
  /** FUNC name -> its decl tags that start with "comment:", in BTF order. */
  tags: Record<string, string[]>;
}

interface BtfType {
  id: number;
  kind: string;
  name: string;
  type_id?: number;
  component_idx?: number;
}

interface ElfJson {
  Sections: { Section: { Index: number; Name: { Name: string }; Type: { Name: string }; Flags: { Flags: { Name: string }[] }; Size: number } }[];
  Symbols: { Symbol: { Name: { Name: string }; Type: { Name: string }; Section: { Value: number } } }[];
}

const READELF = CLANG.replace(/clang/, 'llvm-readelf');
const FORMAT = 'v1';

/** libbpf's rule: FUNC symbols in executable PROGBITS sections other than .text are programs. */
function programsOf(elf: ElfJson): ObjectPrograms['programs'] {
  const execSections = new Map<number, string>();
  for (const { Section: s } of elf.Sections) {
    if (s.Type.Name === 'SHT_PROGBITS' && s.Size > 0 && s.Name.Name !== '.text' && s.Flags.Flags.some((f) => f.Name === 'SHF_EXECINSTR')) {
      execSections.set(s.Index, s.Name.Name);
    }
  }
  const out: ObjectPrograms['programs'] = [];
  for (const idx of [...execSections.keys()].sort((a, b) => a - b)) {
    for (const { Symbol: sym } of elf.Symbols) {
      if (sym.Type.Name === 'Function' && sym.Section.Value === idx) out.push({ name: sym.Name.Name, section: execSections.get(idx)! });
    }
  }
  return out;
}

function tagsOf(types: BtfType[]): ObjectPrograms['tags'] {
  const funcs = new Map<number, string>();
  for (const t of types) if (t.kind === 'FUNC') funcs.set(t.id, t.name);
  const tags: ObjectPrograms['tags'] = {};
  for (const t of types) {
    if (t.kind !== 'DECL_TAG' || t.component_idx !== -1 || !t.name.startsWith('comment:')) continue;
    const fn = funcs.get(t.type_id ?? -1);
    if (fn !== undefined) (tags[fn] ??= []).push(t.name);
  }
  return tags;
}

export async function readObject(obj: string): Promise<ObjectPrograms> {
  const cached = `${obj}.programs-${FORMAT}.json`;
  if (existsSync(cached)) return JSON.parse(readFileSync(cached, 'utf8')) as ObjectPrograms;
  const bpftool = requireCommand('bpftool', 'bpftool');
  const [btf, elf] = await Promise.all([
    execa(bpftool, ['-j', 'btf', 'dump', 'file', obj], { reject: false, maxBuffer: 256 * 1024 * 1024 }),
    execa(READELF, ['--elf-output-style=JSON', '--section-headers', '--symbols', obj], { reject: false, maxBuffer: 256 * 1024 * 1024 }),
  ]);
  if (btf.exitCode !== 0) throw new InfraError(`reading the BTF of ${obj} with bpftool failed: ${btf.stderr.trim() || btf.stdout.trim()}`);
  if (elf.exitCode !== 0) throw new InfraError(`reading the sections of ${obj} with ${READELF} failed: ${elf.stderr.trim()}`);
  const result: ObjectPrograms = {
    programs: programsOf((JSON.parse(elf.stdout) as ElfJson[])[0]!),
    tags: tagsOf((JSON.parse(btf.stdout) as { types: BtfType[] }).types),
  };
  const tmp = `${cached}.${process.pid}`;
  writeFileSync(tmp, JSON.stringify(result));
  renameSync(tmp, cached);
  return result;
}

// What the tree's prog_tests runner does around test_loader for particular objects, read
// from that tree's tools/testing/selftests/bpf/prog_tests/verifier.c: its verifier_*
// objects run without CAP_SYS_ADMIN ("test_verifier tests are executed w/o
// CAP_SYS_ADMIN", run_tests_aux), and some have a pre-execution callback that writes
// init_test_val_map's value into a map before each test run.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** object name -> loader options ("nosysadmin", "prefill:MAP"). */
export type RunnerOptions = Map<string, string[]>;

export function readRunnerOptions(selftestsDir: string): RunnerOptions {
  const file = join(selftestsDir, 'prog_tests', 'verifier.c');
  const opts: RunnerOptions = new Map();
  if (!existsSync(file)) return opts;
  const src = readFileSync(file, 'utf8');
  // Only when the tree's RUN() goes through run_tests_aux, which drops CAP_SYS_ADMIN.
  const dropsSysAdmin = /void run_tests_aux\([^)]*\)\s*\{[\s\S]{0,600}?cap_disable_effective\(1ULL << CAP_SYS_ADMIN/.test(src);
  const add = (name: string, opt: string) => opts.set(name, [...(opts.get(name) ?? []), opt]);
  if (dropsSysAdmin && /#define RUN\(skel\) run_tests_aux\(/.test(src)) {
    for (const m of src.matchAll(/\bRUN\((\w+)\)/g)) add(m[1]!, 'nosysadmin');
  }
  const fills = new Map<string, string>();
  for (const m of src.matchAll(/static int (\w+)\(struct bpf_object \*obj\)\s*\{\s*return init_test_val_map\(obj, "(\w+)"\);\s*\}/g)) fills.set(m[1]!, m[2]!);
  for (const m of src.matchAll(/run_tests_aux\("(\w+)",\s*\w+__elf_bytes,\s*(\w+)\)/g)) {
    if (dropsSysAdmin) add(m[1]!, 'nosysadmin');
    const map = fills.get(m[2]!);
    if (map) add(m[1]!, `prefill:${map}`);
  }
  return opts;
}

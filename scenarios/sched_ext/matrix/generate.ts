// The (kfunc x callback) matrix of sched_ext on 6.12, generated from two small tables:
// the context each kfunc needs and the context each callback runs in. Each cell is a
// scenario (CELL.yaml) and its scheduler (progs/CELL.bpf.c, which includes matrix.h), with
// the verdict on each kernel computed here from the masks, so that no cell is written by
// hand. test/scx-matrix.test.ts fails when the files on disk differ from what this writes;
// `npm run gen:scx-matrix` writes them (and the README's table).
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { repoRoot } from '../../../common/paths.js';

/** The SCX_KF_* bits of include/linux/sched/ext.h (6.12). */
const KF = { CPU_RELEASE: 0x1, DISPATCH: 0x2, ENQUEUE: 0x4, SELECT_CPU: 0x8, REST: 0x10 } as const;

interface Kfunc {
  name: string;
  /** The mask its scx_kf_allowed() check passes to kernel/sched/ext.c. */
  needs: number;
  /** Also allowed where no rq lock is held (scx_kf_allowed_if_unlocked()). */
  unlocked?: true;
  /** Also checks that the task is the one the callback was called for (scx_kf_allowed_on_arg_tasks()). */
  argTask?: true;
  /** In one of the sets our series (kernels/patches/scx-kfunc-filter) filters at load time. */
  filtered: boolean;
  /** The call, as C, given the callback's task and the callback. */
  call: (task: string, op: Op) => string;
}

interface Op {
  name: string;
  /** The mask its SCX_CALL_OP*() site runs it with in 6.12. */
  mask: number;
  /** Called through SCX_CALL_OP_TASK*(): its task argument is in kf_tasks. */
  argTask: boolean;
  /** What the series' scx_kf_of_op() returns for it: the four operations it knows, 0 for the rest. */
  filterMask: number;
  /** What makes it run once the scheduler is registered: registration itself, task wakeups, or a busy task's migration. */
  runsOn: 'registration' | 'wakeups' | 'migration';
}

const iterCall = (kfunc: string) => (task: string) =>
  `do { struct bpf_iter_scx_dsq it; if (!bpf_iter_scx_dsq_new(&it, MATRIX_DSQ, 0)) ${kfunc}(&it, ${task}, SCX_DSQ_GLOBAL, 0); bpf_iter_scx_dsq_destroy(&it); } while (0)`;

// Every context-sensitive kfunc of 6.12 (the rest of scx_kfunc_ids_any and create_dsq check no context).
export const KFUNCS: Kfunc[] = [
  { name: 'scx_bpf_select_cpu_dfl', needs: KF.SELECT_CPU, filtered: true,
    call: (task) => `do { bool idle; scx_bpf_select_cpu_dfl(${task}, bpf_get_smp_processor_id(), 0, &idle); } while (0)` },
  { name: 'scx_bpf_dispatch', needs: KF.ENQUEUE | KF.DISPATCH, filtered: true,
    call: (task, op) => `scx_bpf_dispatch(${task}, SCX_DSQ_GLOBAL, SCX_SLICE_DFL, ${op.name === 'enqueue' ? 'enq_flags' : '0'})` },
  { name: 'scx_bpf_dispatch_vtime', needs: KF.ENQUEUE | KF.DISPATCH, filtered: true,
    call: (task, op) => `scx_bpf_dispatch_vtime(${task}, VTIME_DSQ, SCX_SLICE_DFL, 0, ${op.name === 'enqueue' ? 'enq_flags' : '0'})` },
  { name: 'scx_bpf_dispatch_nr_slots', needs: KF.DISPATCH, filtered: true, call: () => 'scx_bpf_dispatch_nr_slots()' },
  // Cancelling with nothing dispatched is an error of its own ("dispatch buffer underflow"),
  // so where it is allowed it cancels a dispatch of the current task first.
  { name: 'scx_bpf_dispatch_cancel', needs: KF.DISPATCH, filtered: true,
    call: (task, op) => op.name === 'dispatch'
      ? `do { scx_bpf_dispatch(${task}, SCX_DSQ_GLOBAL, SCX_SLICE_DFL, 0); scx_bpf_dispatch_cancel(); } while (0)`
      : 'scx_bpf_dispatch_cancel()' },
  { name: 'scx_bpf_consume', needs: KF.DISPATCH, filtered: true, call: () => 'scx_bpf_consume(MATRIX_DSQ)' },
  // The task is not on the iterated DSQ, so an allowed call moves nothing; the context check comes first.
  { name: 'scx_bpf_dispatch_from_dsq', needs: KF.DISPATCH, unlocked: true, filtered: false,
    call: iterCall('scx_bpf_dispatch_from_dsq') },
  { name: 'scx_bpf_dispatch_vtime_from_dsq', needs: KF.DISPATCH, unlocked: true, filtered: false,
    call: iterCall('scx_bpf_dispatch_vtime_from_dsq') },
  { name: 'scx_bpf_reenqueue_local', needs: KF.CPU_RELEASE, filtered: true, call: () => 'scx_bpf_reenqueue_local()' },
  // __SCX_KF_RQ_LOCKED: any rq-locked callback, on the task it was called for.
  { name: 'scx_bpf_task_cgroup', needs: 0x1f, argTask: true, filtered: false,
    call: (task) => `bpf_cgroup_release(scx_bpf_task_cgroup(${task}))` },
];

// One callback per context (callbacks that share a mask share a verdict), each with what
// makes it run: registration runs init, init_task and enable; wakeups run select_cpu,
// enqueue, dispatch and running; migrating a busy task runs cpu_release (the stopper
// class preempts it). A cell's workload is just that, so the matrix stays quick.
export const OPS: Op[] = [
  { name: 'select_cpu', mask: KF.ENQUEUE | KF.SELECT_CPU, argTask: true, filterMask: KF.ENQUEUE | KF.SELECT_CPU, runsOn: 'wakeups' },
  { name: 'enqueue', mask: KF.ENQUEUE, argTask: true, filterMask: KF.ENQUEUE, runsOn: 'wakeups' },
  { name: 'dispatch', mask: KF.DISPATCH, argTask: false, filterMask: KF.DISPATCH, runsOn: 'wakeups' },
  { name: 'cpu_release', mask: KF.CPU_RELEASE, argTask: false, filterMask: KF.CPU_RELEASE, runsOn: 'migration' },
  { name: 'running', mask: KF.REST, argTask: true, filterMask: 0, runsOn: 'wakeups' },
  { name: 'enable', mask: KF.REST, argTask: true, filterMask: 0, runsOn: 'registration' },
  { name: 'init_task', mask: 0, argTask: false, filterMask: 0, runsOn: 'registration' },
  { name: 'init', mask: 0, argTask: false, filterMask: 0, runsOn: 'registration' },
];

export const BASE = 'scx-6.12';
export const FILTER = 'scx-6.12-kfunc-filter';

export type Verdict = { kind: 'allowed' } | { kind: 'ejected'; message: string } | { kind: 'refused' };

const hex = (n: number) => `0x${n.toString(16)}`;

/** What 6.12 does when the call is made: scx_kf_allowed() and its variants, in their order. */
export function runtimeVerdict(k: Kfunc, op: Op): Verdict {
  if (k.unlocked && op.mask === 0) return { kind: 'allowed' };
  if (!(op.mask & k.needs))
    return { kind: 'ejected', message: `kfunc with mask ${hex(k.needs)} called from an operation only allowing ${hex(op.mask)}` };
  if (k.argTask && !op.argTask) return { kind: 'ejected', message: 'called on a task not being operated on' };
  return { kind: 'allowed' };
}

/** The verdict on a kernel: with the series, a filtered kfunc outside its operations is refused at load. */
export function verdict(kernel: string, k: Kfunc, op: Op): Verdict {
  if (kernel === FILTER && k.filtered && !(op.filterMask & k.needs)) return { kind: 'refused' };
  return runtimeVerdict(k, op);
}

const short = (k: Kfunc) => k.name.replace(/^scx_bpf_/, '');
export const cellName = (k: Kfunc, op: Op) => `${short(k)}_${op.name}`;
const fileBase = (k: Kfunc, op: Op) => cellName(k, op).replace(/_/g, '-');

/** The workload step that makes the callback run; registration needs none. */
const WORKLOAD: Record<Op['runsOn'], string[]> = {
  registration: [],
  wakeups: [
    '# Forks and wakeups: select_cpu, enqueue, dispatch and running.',
    'for i in $(seq 30); do sleep 0.01 & done; wait',
  ],
  migration: [
    '# A busy loop moved between the CPUs: its migration preempts it with the stopper (cpu_release).',
    'busy() { while :; do :; done; }',
    'busy & b=$!',
    'for i in $(seq 20); do taskset -p $((i % 2 + 1)) $b >/dev/null; sleep 0.01; done',
    'kill $b',
  ],
};

function workloadStep(op: Op): string[] {
  const lines = WORKLOAD[op.runsOn];
  return lines.length ? ['  - id: workload', '    run: |', ...lines.map((l) => `      ${l}`)] : [];
}

function outcomeStep(v: Verdict, name: string): string[] {
  if (v.kind === 'ejected')
    return [
      '  - id: outcome',
      '    # Ejected by the run-time check on the first call, which can come before sched_ext',
      '    # has printed "enabled" (or during it, for the callbacks registration runs).',
      '    dmesg: {within: 10s}',
      '    expect:',
      '      log:',
      `        - 'sched_ext: BPF scheduler "${name}" disabled (runtime error)'`,
      `        - '${name}: ${v.message}'`,
    ];
  return [
    '  - id: outcome',
    '    # Allowed: the scheduler is enabled and stays so through the workload (or its registration).',
    '    dmesg: {within: 1s}',
    '    expect:',
    `      log: ['sched_ext: BPF scheduler "${name}" enabled']`,
    `      not_log: ['"${name}" disabled']`,
  ];
}

function describe(v: Verdict): string {
  return v.kind === 'allowed' ? 'allowed' : v.kind === 'refused' ? 'refused at load (EACCES)' : `ejected: ${v.message}`;
}

function scenario(k: Kfunc, op: Op): string {
  const name = cellName(k, op);
  const base = verdict(BASE, k, op);
  const filter = verdict(FILTER, k, op);
  const lines = [
    '# yaml-language-server: $schema=../../schema.json',
    '# Generated by generate.ts (npm run gen:scx-matrix) from its kfunc and callback tables; do not edit.',
    `# ${BASE}: ${describe(base)}.`,
    `# ${FILTER}: ${describe(filter)}.`,
    `name: "kfunc matrix: ${k.name} from ops.${op.name}"`,
    'seed: per-struct_ops kfunc allow mask',
    'tags: [sched_ext, kfunc-matrix]',
    `kernels: [${BASE}, ${FILTER}]`,
    'requires:',
    `  kconfig: [CONFIG_SCHED_CLASS_EXT=y${k.argTask ? ', CONFIG_CGROUP_SCHED=y' : ''}]`,
    'programs:',
    `  cell: progs/${name}.bpf.c`,
    'steps:',
    '  - id: register',
    '    load: cell',
    '    via: struct_ops',
    `    expect: {loaded: ${base.kind !== 'refused'}}`,
    ...workloadStep(op),
    ...outcomeStep(base, name),
  ];
  if (filter.kind !== base.kind) {
    if (filter.kind !== 'refused') throw new Error(`${name}: the series only adds refusals`);
    lines.push(
      'expect_by_kernel:',
      '  # Our series (kernels/patches/scx-kfunc-filter) refuses the call at load time.',
      `  ${FILTER}:`,
      `    register: {loaded: false, errno: EACCES, log: ["calling kernel function ${k.name} is not allowed"]}`,
      ...(workloadStep(op).length ? ['    workload: {skip: true}'] : []),
      '    outcome: {skip: true}',
    );
  }
  return lines.join('\n') + '\n';
}

function program(k: Kfunc, op: Op): string {
  const task = 'task';
  const lines = [
    `// Generated by ../generate.ts; do not edit. ${k.name}() from ops.${op.name}.`,
    `#define CELL_NAME "${cellName(k, op)}"`,
    `#define IN_${op.name.toUpperCase()}`,
    `#define CELL_CALL(${task}) ${k.call(task, op)}`,
  ];
  if (op.name === 'enqueue' && (k.name === 'scx_bpf_dispatch' || k.name === 'scx_bpf_dispatch_vtime'))
    lines.push('#define CELL_REPLACES_DISPATCH');
  if (k.name === 'scx_bpf_dispatch_vtime') lines.push('#define CELL_USES_VTIME_DSQ');
  lines.push('#include "matrix.h"');
  return lines.join('\n') + '\n';
}

const cell = (v: Verdict) => (v.kind === 'allowed' ? 'ok' : v.kind === 'refused' ? 'load refused' : 'ejected');

/** The README's table: one row per kfunc, one column per callback, both kernels' verdicts. */
export function readmeTable(): string {
  const head = `| kfunc \\ callback (mask) | ${OPS.map((o) => `${o.name} (${hex(o.mask)})`).join(' | ')} |`;
  const rule = `|---|${OPS.map(() => '---').join('|')}|`;
  const rows = KFUNCS.map((k) => `| \`${short(k)}\` (${hex(k.needs)}) | ${OPS.map((o) => {
    const a = cell(verdict(BASE, k, o));
    const b = cell(verdict(FILTER, k, o));
    return a === b ? a : `${a} → **${b}**`;
  }).join(' | ')} |`);
  return [head, rule, ...rows].join('\n') + '\n';
}

const DIR = join(repoRoot, 'scenarios', 'sched_ext', 'matrix');
const README = join(repoRoot, 'README.md');
const START = '<!-- scx-matrix: generated by scenarios/sched_ext/matrix/generate.ts -->\n';
const END = '<!-- scx-matrix: end -->';

/** Every file this writes, relative to the repository root, with its content. */
export function generated(): Map<string, string> {
  const files = new Map<string, string>();
  for (const k of KFUNCS)
    for (const op of OPS) {
      files.set(join('scenarios/sched_ext/matrix', `${fileBase(k, op)}.yaml`), scenario(k, op));
      files.set(join('scenarios/sched_ext/matrix/progs', `${cellName(k, op)}.bpf.c`), program(k, op));
    }
  return files;
}

/** The cell files on disk (everything in the folder but the generator, matrix.h and the README). */
export function onDisk(): Map<string, string> {
  const files = new Map<string, string>();
  for (const [dir, ext] of [['', '.yaml'], ['progs', '.bpf.c']] as const)
    for (const f of readdirSync(join(DIR, dir)).filter((f) => f.endsWith(ext)))
      files.set(join('scenarios/sched_ext/matrix', dir, f), readFileSync(join(DIR, dir, f), 'utf8'));
  return files;
}

/** The README with the table replaced; throws when the markers are missing. */
export function readmeWithTable(readme: string): string {
  const a = readme.indexOf(START);
  const b = readme.indexOf(END);
  if (a < 0 || b < a) throw new Error(`README.md: the markers ${START.trim()} and ${END} are missing`);
  return readme.slice(0, a + START.length) + readmeTable() + readme.slice(b);
}

function write(): void {
  for (const f of onDisk().keys()) rmSync(join(repoRoot, f));
  mkdirSync(join(DIR, 'progs'), { recursive: true });
  const files = generated();
  for (const [f, text] of files) writeFileSync(join(repoRoot, f), text);
  writeFileSync(README, readmeWithTable(readFileSync(README, 'utf8')));
  console.log(`wrote ${files.size / 2} cells (${KFUNCS.length} kfuncs x ${OPS.length} callbacks) and the README's table`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) write();

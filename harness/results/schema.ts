// model.ts as a zod schema, for reading a results.json back (report merge). Unknown
// keys are dropped: only what model.ts describes is merged and written again.
import { z } from 'zod';
import type { RunResult } from './model.js';

const outcome = z.enum(['pass', 'fail', 'skip', 'error']);
const count = z.number().int().nonnegative();
const ms = z.number().nonnegative();

const failure = z.object({
  expectation: z.string(),
  message: z.string(),
  pattern: z.string().optional(),
  stoppedAtLine: count.optional(),
  matchedBefore: z.array(z.object({ index: count, pattern: z.string(), line: count })).optional(),
  diff: z.string().optional(),
});

const programStats = z.object({ insns: count, states: count.optional(), peakStates: count.optional(), maxStatesPerInsn: count.optional(), markRead: count.optional() });

const step = z.object({
  id: z.string(),
  kind: z.enum(['load', 'run', 'dmesg']),
  outcome,
  durationMs: ms,
  loaded: z.boolean().optional(),
  errno: z.string().optional(),
  exit: z.number().int().optional(),
  stdout: z.string().optional(),
  stderr: z.string().optional(),
  log: z.string().optional(),
  stats: z.object({ insns: count, states: count, peakStates: count.optional() }).optional(),
  programs: z.array(z.object({
    file: z.string().min(1), prog: z.string().min(1), mode: z.enum(['priv', 'unpriv']), loaded: z.boolean(), errno: z.string().optional(), stats: programStats.optional(), durationUs: count.optional(),
  })).optional(),
  failures: z.array(failure),
  artifacts: z.array(z.string()),
  skipReason: z.string().optional(),
  outputDropped: z.object({ stdout: count, stderr: count }).optional(),
});

const program = z.object({
  file: z.string().min(1),
  prog: z.string().min(1),
  description: z.string().optional(),
  mode: z.enum(['priv', 'unpriv']),
  outcome: z.enum(['pass', 'fail', 'skip']),
  reason: z.string().optional(),
  denied: z.boolean().optional(),
  loaded: z.boolean().optional(),
  errno: z.string().optional(),
  retval: z.number().int().optional(),
  stats: programStats.optional(),
  durationUs: z.number().nonnegative().optional(),
  logHash: z.string().optional(),
  failures: z.array(failure),
  artifact: z.string().optional(),
});

const scenario = z.object({
  file: z.string().min(1),
  name: z.string(),
  kernel: z.string().min(1),
  outcome,
  durationMs: ms,
  steps: z.array(step),
  programs: z.array(program).optional(),
  tests: z.array(z.object({
    runner: z.string(), test: z.string(), subtest: z.string().optional(), number: z.string(), outcome: z.enum(['pass', 'fail', 'skip']),
    reason: z.string().optional(), durationMs: ms.optional(), log: z.string().optional(),
  })).optional(),
  reason: z.string().optional(),
  consoleTail: z.string().optional(),
  bootFailed: z.string().optional(),
  network: z.boolean().optional(),
  notRun: z.boolean().optional(),
  crash: z.object({
    kind: z.string(), title: z.string(), source: z.enum(['console', 'dmesg']), line: z.string(), excerpt: z.string(), artifact: z.string(),
  }).optional(),
  knownCrashes: z.array(z.object({ title: z.string(), why: z.string(), artifact: z.string() })).optional(),
  tries: z.object({
    runs: count.min(1),
    failed: z.array(z.object({ try: count.min(1), reason: z.string(), artifactDir: z.string() })),
  }).optional(),
});

export const runResultSchema = z.object({
  // merge picks the earliest, so it must be a date.
  startedAt: z.string().refine((s) => !Number.isNaN(Date.parse(s)), { error: 'expected a date like 2026-11-23T06:20:00.000Z' }),
  durationMs: ms,
  target: z.string(),
  accel: z.string().optional(),
  kernels: z.array(z.object({
    name: z.string(), arch: z.string(), source: z.string().optional(), release: z.string().optional(), origin: z.string().optional(),
  })).optional(),
  scenarios: z.array(scenario),
  outDir: z.string(),
});

// Checked both ways at compile time, so the schema and model.ts cannot disagree on a
// field they both have, nor on a required one.
type Assignable<A extends B, B> = [A, B];
export type SchemaMatchesModel = [
  Assignable<z.output<typeof runResultSchema>, RunResult>,
  Assignable<RunResult, z.output<typeof runResultSchema>>,
];

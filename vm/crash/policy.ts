// The crash policy (policy.yaml beside this module's source, or a user's file):
// regexes that mean the kernel broke, and an allow-list, compiled once.
import { join } from 'node:path';
import { z } from 'zod';
import { loadYamlFile } from '../../common/yaml-file.js';
import { repoRoot } from '../../common/paths.js';
import { compileLinear, LINEAR_REGEX_HINT, linearRegex, type LinearRegex } from '../../common/linear-regex.js';

export const DEFAULT_POLICY_FILE = join(repoRoot, 'vm', 'crash', 'policy.yaml');

/** A regex source RE2 takes (it runs on every kernel message line, in linear time). */
const regex = z.string().min(1).superRefine((s, ctx) => {
  const r = linearRegex(s);
  if (r instanceof Error) ctx.addIssue({ code: 'custom', message: `not a valid regular expression: ${r.message}`, params: { hint: LINEAR_REGEX_HINT } });
});

const policySchema = z.strictObject({
  crashes: z.array(z.strictObject({
    kind: z.string().min(1).describe('A short class name: panic, bug, warning, kasan, ...'),
    match: regex.describe('Matched against one kernel message line.'),
    title: z.string().min(1).describe('The crash title; $1.. are the groups of match.'),
  })).min(1),
  allow: z.array(regex).default([]),
  excerpt: z.strictObject({
    before: z.number().int().min(0).default(5),
    after: z.number().int().min(0).default(40),
  }).default({ before: 5, after: 40 }),
});

export interface CrashRule {
  kind: string;
  match: LinearRegex;
  title: string;
}

export interface CrashPolicy {
  file: string;
  crashes: CrashRule[];
  allow: LinearRegex[];
  excerpt: { before: number; after: number };
}

const loaded = new Map<string, CrashPolicy>();

/** Load and compile a policy file; a bad one is bad input with file:line:col. */
export function loadCrashPolicy(file = DEFAULT_POLICY_FILE): CrashPolicy {
  const hit = loaded.get(file);
  if (hit) return hit;
  const p = loadYamlFile(file, () => policySchema, { schemaRef: 'vm/crash/policy.yaml (the shipped policy)' });
  const policy: CrashPolicy = {
    file,
    crashes: p.crashes.map((c) => ({ kind: c.kind, match: compileLinear(c.match), title: c.title })),
    allow: p.allow.map((a) => compileLinear(a)),
    excerpt: p.excerpt,
  };
  loaded.set(file, policy);
  return policy;
}

// Runs the real CLI (dist/harness/cli/main.js) as a user would.
import { execa } from 'execa';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../../common/paths.js';

export const CLI = join(repoRoot, 'dist', 'harness', 'cli', 'main.js');

export function outDir(): string {
  return mkdtempSync(join(tmpdir(), 'bpf-harness-test-'));
}

export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  all: string;
}

export async function cli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  const r = await execa('node', [CLI, ...args], { cwd: repoRoot, reject: false, all: true, env });
  return { exitCode: r.exitCode ?? -1, stdout: r.stdout, stderr: r.stderr, all: r.all ?? '' };
}

export const fixture = (...p: string[]) => join(repoRoot, 'test', 'fixtures', ...p);

// A kernel source tree the builder can patch: a git work tree with a known base commit.
import { execa } from 'execa';

export interface SourceTree {
  /** The git work tree. */
  dir: string;
  /** Commit the recipe's patches apply on. */
  base: string;
  /** What decides the source's bytes, for the cache key: e.g. linux-source-6.12=6.12.117-1~deb12u1. */
  identity: string;
  /** Short text for messages. */
  describe: string;
  /** False for a user's own tree (path:): the builder must not check out or patch it. */
  owned: boolean;
}

export interface GitOptions {
  /** false: resolve with the exit code instead of throwing. */
  reject?: boolean;
  timeout?: number;
  stripFinalNewline?: boolean;
}

export interface GitResult {
  exitCode: number;
  stdout: string;
  /** stdout and stderr interleaved, for error messages. */
  all: string;
}

/** git with a fixed identity and dates and no prompts, so commits are reproducible. */
export async function git(dir: string, args: string[], opts: GitOptions = {}): Promise<GitResult> {
  const r = await execa('git', ['-C', dir, '-c', 'user.name=bpf-harness', '-c', 'user.email=bpf-harness@localhost', ...args], {
    env: { GIT_CONFIG_NOSYSTEM: '1', GIT_TERMINAL_PROMPT: '0', GIT_AUTHOR_DATE: '2000-01-01T00:00:00Z', GIT_COMMITTER_DATE: '2000-01-01T00:00:00Z' },
    reject: opts.reject ?? true,
    timeout: opts.timeout,
    stripFinalNewline: opts.stripFinalNewline ?? true,
    all: true,
  });
  return { exitCode: r.exitCode ?? -1, stdout: r.stdout, all: r.all ?? '' };
}

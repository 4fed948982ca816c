// log_file goldens: a load step's whole normalized log kept in a file beside the scenario,
// checked against the log, or rewritten from it with --update.
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { checkGolden } from '../expect/check.js';
import { isInside, realPathOf } from '../../common/contained.js';
import { writeFileAtomically } from '../../common/publish.js';
import type { Failure } from '../results/model.js';
import { INPUT_LIMITS, readUserFile } from '../../common/input-file.js';

/** log_file's path for this kernel: "{kernel}" in it is replaced, so each kernel can keep its own golden. */
export function goldenPath(scenarioFile: string, kernel: string, logFile: string): string {
  return resolve(dirname(scenarioFile), logFile.replaceAll('{kernel}', kernel));
}

/**
 * The log_file verdict. With update, the golden is rewritten (atomically: an interrupted
 * run leaves the old one) and passes, except that an empty log (nothing reached the
 * verifier) is never written over an existing golden: that fails, saying so.
 */
export function judgeGolden(golden: string, log: string, update: boolean, within?: string): Failure | undefined {
  const name = relative(process.cwd(), golden);
  // Validation checked the path up to {kernel}; this kernel's directory may be a symlink too.
  if (within && !isInside(within, golden)) {
    return { expectation: 'log_file', message: `golden file ${name} leads to ${realPathOf(golden)}, outside the scenario's directory, through a symlink: not read${update ? ' nor written' : ''}` };
  }
  if (update && !(log.trim() === '' && existsSync(golden))) {
    mkdirSync(dirname(golden), { recursive: true });
    writeFileAtomically(golden, log);
    return undefined;
  }
  if (!existsSync(golden)) return { expectation: 'log_file', message: `golden file ${name} does not exist; run with --update to write it` };
  const differs = checkGolden(readUserFile(golden, INPUT_LIMITS.golden).toString('utf8'), log);
  if (!differs || !update) return differs;
  return { ...differs, message: `the log is empty: --update kept ${name} rather than write an empty log over it (see why nothing reached the verifier)` };
}

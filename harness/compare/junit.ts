// The comparison as JUnit XML: one testcase per scenario step, failing when its change
// (or the patched run's failure) was not declared in expect_by_kernel.
import { create } from 'xmlbuilder2';
import type { Comparison } from './compare.js';

export function comparisonJunit(c: Comparison): string {
  const doc = create({ version: '1.0', encoding: 'UTF-8' });
  const suite = doc.ele('testsuites').ele('testsuite', {
    name: `compare ${c.base} -> ${c.patched}`, tests: String(c.steps.length), failures: String(c.unexpected),
  });
  for (const s of c.steps) {
    const tc = suite.ele('testcase', { classname: s.file.replace(/\.ya?ml$/, '').replace(/\//g, '.'), name: s.step });
    const detail = `${c.base}: ${s.base.verdict}; ${c.patched}: ${s.patched.verdict}` +
      `${s.insnsDelta !== undefined ? `; insns ${s.base.insns} -> ${s.patched.insns}` : ''}${s.logDiff ? `\n${s.logDiff}` : ''}`;
    if (!s.expected) tc.ele('failure', { message: s.changed ? 'unexpected change' : 'fails on the patched kernel' }).txt(detail);
    else tc.ele('system-out').txt(detail);
  }
  return `${doc.end({ prettyPrint: true })}\n`;
}

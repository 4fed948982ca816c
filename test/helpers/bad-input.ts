// The BadInputError a call throws; anything else it throws, or no throw, fails the test.
import { BadInputError } from '../../common/errors.js';

export function badInput(fn: () => unknown): BadInputError {
  try {
    fn();
  } catch (e) {
    if (e instanceof BadInputError) return e;
    throw e;
  }
  throw new Error('expected a BadInputError');
}

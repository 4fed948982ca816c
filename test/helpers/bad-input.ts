// The BadInputError a load throws; anything else it throws, or no error, fails the test.
import { BadInputError } from '../../harness/errors.js';

export function failure(load: () => unknown): BadInputError {
  try {
    load();
  } catch (e) {
    if (e instanceof BadInputError) return e;
    throw e;
  }
  throw new Error('expected a BadInputError');
}

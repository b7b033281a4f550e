/** A wrong command line (exit code 2): printed as one line, no stack. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/**
 * The command could not do its job for a reason that is not the user's input (exit code 1), e.g. an input
 * that did not settle. A bad invoice is never one: it is a result.
 */
export class SystemFailure extends Error {
  override readonly name = 'SystemFailure';
}

/**
 * Refused because of what is already stored, not because of the command line (exit code 3), e.g. a review of a
 * revision another reviewer already reviewed (the API's 409 ALREADY_REVIEWED). Running it again changes nothing.
 */
export class ConflictError extends Error {
  override readonly name = 'ConflictError';
}

// How a failed request reads on screen. urql prefixes its messages with the kind of failure
// ("[GraphQL] …", "[Network] Failed to fetch"), which tells the CS team nothing: the server's own
// words are shown for what it refused, and a plain sentence for a request that got no answer; for a
// failure that passes, what comes next (the page asks again, or the user may).
// Decisions are taken on the errors' codes (extensions.code), never on their wording.
import type { CombinedError } from '@urql/core';

/** Refusals that end by themselves (src/infra/errors.ts, src/auth/auth.errors.ts): the same request asked later may be answered. */
const PASSING_CODES: ReadonlySet<unknown> = new Set(['SERVICE_UNAVAILABLE', 'RATE_LIMITED']);

/**
 * Whether the same request asked again later may be answered: no answer came, the answer was no
 * GraphQL (a proxy's error page), or the server refused it for now (busy, stopping, the key's budget
 * spent). Any other refusal would be refused again.
 */
export function passes(error: CombinedError): boolean {
  if (error.graphQLErrors.length === 0) return error.networkError !== undefined;
  return error.graphQLErrors.every((graphQLError) => PASSING_CODES.has(graphQLError.extensions?.code));
}

/** The wait the server asked for before the request is sent again (extensions.retryAfterSeconds), in seconds. */
export function retryAfterSeconds(error: CombinedError): number | undefined {
  const waits = error.graphQLErrors
    .map((graphQLError) => graphQLError.extensions?.retryAfterSeconds)
    .filter((wait): wait is number => typeof wait === 'number' && Number.isFinite(wait) && wait > 0);
  return waits.length > 0 ? Math.max(...waits) : undefined;
}

/** What failed, in words. */
function whatFailed(error: CombinedError): string {
  if (error.graphQLErrors.length > 0) return [...new Set(error.graphQLErrors.map((graphQLError) => graphQLError.message))].join(' ');
  // fetch rejects with a TypeError when no answer came back at all (server down, connection cut).
  if (error.networkError instanceof TypeError) return 'Cannot reach the server.';
  const reason = error.networkError?.message;
  return `The server could not answer${reason ? ` (${reason})` : ''}.`;
}

/**
 * `error` in words, and for a failure that passes what comes next: when the page asks again by
 * itself (`askingAgain`), when; otherwise (a request the user sent, such as a preview) that they may.
 */
export function errorText(error: CombinedError, askingAgain?: { afterSeconds: number | undefined }): string {
  const failed = whatFailed(error);
  if (!passes(error)) return failed;
  // The server's words may end without a full stop: another sentence follows them here.
  const words = /[.!?…]$/.test(failed) ? failed : `${failed}.`;
  if (!askingAgain) return `${words} Try again in a moment.`;
  const when = askingAgain.afterSeconds === undefined ? 'in a few seconds' : `in ${askingAgain.afterSeconds} s`;
  return `${words} The page asks again ${when}.`;
}

/** True when the server answered that the thing asked for does not exist (NOT_FOUND). */
export function isNotFound(error: CombinedError | undefined): boolean {
  return error?.graphQLErrors.some((graphQLError) => graphQLError.extensions?.code === 'NOT_FOUND') ?? false;
}

/** The argument the server refused as bad input (BAD_USER_INPUT names it), if that is what failed. */
export function refusedArgument(error: CombinedError | undefined): string | undefined {
  const refusal = error?.graphQLErrors.find((graphQLError) => graphQLError.extensions?.code === 'BAD_USER_INPUT');
  const argument = refusal?.extensions?.argument;
  return typeof argument === 'string' ? argument : undefined;
}

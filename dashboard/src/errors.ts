// How a failed request reads on screen. urql prefixes its messages with the kind of failure
// ("[GraphQL] …", "[Network] Failed to fetch"), which tells the CS team nothing: the server's own
// words are shown for what it refused, and a plain sentence for a request that got no answer.
// Decisions are taken on the errors' codes (extensions.code), never on their wording.
import type { CombinedError } from '@urql/core';

const CANNOT_REACH_SERVER = 'Cannot reach the server: the page tries again once the connection is back.';

export function errorText(error: CombinedError): string {
  if (error.graphQLErrors.length > 0) return [...new Set(error.graphQLErrors.map((graphQLError) => graphQLError.message))].join(' ');
  // fetch rejects with a TypeError when no answer came back at all (server down, connection cut).
  if (error.networkError instanceof TypeError) return CANNOT_REACH_SERVER;
  const reason = error.networkError?.message;
  return `The server could not answer${reason ? ` (${reason})` : ''}. Try again in a moment.`;
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

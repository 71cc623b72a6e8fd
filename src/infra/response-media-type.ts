// Which media type Apollo Server will answer a GraphQL POST or GET with. It negotiates among these
// three, in this order, with the negotiator package; asking the same package the same question
// gives the same answer, so a refusal made before execution can pick the status that type expects.
import Negotiator from 'negotiator';

const APOLLO_SINGLE_RESULT_TYPES = [
  'application/json; charset=utf-8',
  'application/graphql-response+json; charset=utf-8',
  'application/json; callbackSpec=1.0; charset=utf-8',
];

/**
 * Whether the answer will be `application/graphql-response+json`. The GraphQL-over-HTTP spec asks a
 * 4xx of a request error (an answer without `data`) in that type; legacy `application/json` clients
 * expect 200.
 */
export function answersGraphQLResponseJson(accept: string | null | undefined): boolean {
  if (!accept) return false;
  return (
    new Negotiator({ headers: { accept } }).mediaType(APOLLO_SINGLE_RESULT_TYPES)?.startsWith('application/graphql-response+json') ?? false
  );
}

/**
 * The content type of an error answered before Apollo runs (a refused key, body, method or
 * document): the one Apollo would give the same client, so a client that asked for
 * `application/graphql-response+json` gets every answer in it, as GraphQL over HTTP asks.
 */
export function errorContentType(accept: string | null | undefined): string {
  return answersGraphQLResponseJson(accept) ? 'application/graphql-response+json; charset=utf-8' : 'application/json; charset=utf-8';
}

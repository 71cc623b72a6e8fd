// Which media type Apollo Server will answer a GraphQL POST or GET with. It negotiates among these
// three, in this order, with the negotiator package; asking the same package the same question
// gives the same answer, so a refusal made before execution can pick the status that type expects,
// and a request whose Accept takes none of them is refused before anything runs.
import Negotiator from 'negotiator';

const APOLLO_SINGLE_RESULT_TYPES = [
  'application/json; charset=utf-8',
  'application/graphql-response+json; charset=utf-8',
  'application/json; callbackSpec=1.0; charset=utf-8',
];

/**
 * Whether a charset label names UTF-8 in the Encoding standard, as browsers read it: `utf-8`, and
 * also `utf8` (what several HTTP libraries write) and the standard's other aliases.
 */
export function namesUtf8(label: string): boolean {
  try {
    return new TextDecoder(label).encoding === 'utf-8';
  } catch {
    // Not a label the standard knows (TextDecoder throws RangeError).
    return false;
  }
}

/** A `charset` parameter of an Accept header's media range: its label, quoted or not. */
const CHARSET_PARAMETER = /(;\s*charset\s*=\s*)"?([^;,"\s]*)"?/gi;

/**
 * The Accept header with every charset naming UTF-8 written `utf-8`, as Apollo's types name it:
 * negotiator compares parameters as written, and would refuse `application/json; charset=utf8`,
 * which a Content-Type may say. The rest of the header is left as it was.
 */
export function acceptNamingUtf8(accept: string): string {
  return accept.replace(CHARSET_PARAMETER, (parameter: string, prefix: string, label: string) =>
    namesUtf8(label) ? `${prefix}utf-8` : parameter,
  );
}

/**
 * The media type Apollo will answer a single result in, or null when the Accept header takes none
 * of them (`text/plain`, `application/json; q=0`, another charset): such a request is answered 406.
 * No Accept header, or an empty one, is JSON.
 */
export function graphQLResponseMediaType(accept: string | null | undefined): string | null {
  if (!accept) return APOLLO_SINGLE_RESULT_TYPES[0];
  return new Negotiator({ headers: { accept: acceptNamingUtf8(accept) } }).mediaType(APOLLO_SINGLE_RESULT_TYPES) ?? null;
}

/**
 * Whether the answer will be `application/graphql-response+json`. The GraphQL-over-HTTP spec asks a
 * 4xx of a request error (an answer without `data`) in that type; legacy `application/json` clients
 * expect 200.
 */
export function answersGraphQLResponseJson(accept: string | null | undefined): boolean {
  return graphQLResponseMediaType(accept)?.startsWith('application/graphql-response+json') ?? false;
}

/**
 * The content type of an error answered before Apollo runs (a refused key, body, method or
 * document): the one Apollo would give the same client, so a client that asked for
 * `application/graphql-response+json` gets every answer in it, as GraphQL over HTTP asks.
 */
export function errorContentType(accept: string | null | undefined): string {
  return answersGraphQLResponseJson(accept) ? 'application/graphql-response+json; charset=utf-8' : 'application/json; charset=utf-8';
}

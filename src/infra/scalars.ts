// Scalars used across the graph. DateTime is an RFC 3339 date-time (values that do not parse are
// rejected with BAD_USER_INPUT before any resolver runs); JSON is free-form; SafeInt is a 53-bit integer.
import { ASTNode, GraphQLError, GraphQLScalarType } from 'graphql';
import { DateTimeISOResolver, JSONResolver, SafeIntResolver } from 'graphql-scalars';
import { JSON_ARGUMENT_TOO_DEEP, MAX_JSON_ARGUMENT_DEPTH, nestsDeeperThan } from './input';

const dateTimeConfig = DateTimeISOResolver.toConfig();

/**
 * A UTC timestamp as PostgreSQL writes it: '2026-01-15 09:30:00.123456+00' in a text column,
 * '2026-01-15T09:30:00.123456+00:00' inside JSON (the joined edges of a page). Groups: date, time,
 * fraction.
 */
const POSTGRES_UTC_TIMESTAMP = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?\+00(?::00)?$/;

/**
 * A DateTime's output: a Date, or a timestamp string from a raw SQL row. PostgreSQL's own UTC
 * strings are rewritten to the ISO form directly (milliseconds, truncated as a Date would): parsing
 * each into a Date to print it again was a noticeable part of serving a page of timestamps
 * (bench/README.md). Anything else (other offsets, 'infinity', BC) goes through a Date and
 * graphql-scalars' checks.
 */
export function serializeDateTime(value: unknown): unknown {
  if (typeof value === 'string') {
    const utc = POSTGRES_UTC_TIMESTAMP.exec(value);
    if (utc) return `${utc[1]}T${utc[2]}.${utc[3] === undefined ? '000' : utc[3].padEnd(3, '0').slice(0, 3)}Z`;
    return dateTimeConfig.serialize!(new Date(value));
  }
  return dateTimeConfig.serialize!(value);
}

/**
 * What a DateTime input must be, said by every refusal of one: RFC 3339's date-time, the profile of
 * ISO 8601 graphql-scalars checks. Other ISO 8601 forms (a date alone, no seconds, no offset, `+0100`)
 * are refused rather than guessed at: an instant without an offset is a different one in each zone.
 */
export const DATE_TIME_FORMAT =
  'an RFC 3339 date-time, with seconds and an offset (Z or one like +02:00): e.g. 2026-11-24T09:30:00Z or 2026-11-24T11:30:00.250+02:00';

/** graphql-scalars' coercion of an input, its refusal reworded to say what is expected. */
function coercedDateTime(coerce: () => unknown, nodes?: ASTNode): unknown {
  try {
    return coerce();
  } catch {
    throw new GraphQLError(`DateTime must be ${DATE_TIME_FORMAT}`, { nodes });
  }
}

export const DateTimeScalar = new GraphQLScalarType({
  ...dateTimeConfig,
  name: 'DateTime',
  serialize: serializeDateTime,
  parseValue: (value) => coercedDateTime(() => dateTimeConfig.parseValue!(value)),
  parseLiteral: (ast, variables) => coercedDateTime(() => dateTimeConfig.parseLiteral!(ast, variables), ast),
  description:
    'An instant, as an RFC 3339 date-time (the ISO 8601 profile): seconds and an offset are required, e.g. `2026-11-24T09:30:00Z` or `2026-11-24T11:30:00+02:00`. Answered in UTC with milliseconds.',
});

const jsonConfig = JSONResolver.toConfig();

/** A JSON argument within MAX_JSON_ARGUMENT_DEPTH; a GraphQL coercion error (BAD_USER_INPUT) otherwise. */
function checkedDepth(value: unknown): unknown {
  if (nestsDeeperThan(value, MAX_JSON_ARGUMENT_DEPTH)) {
    throw new GraphQLError(JSON_ARGUMENT_TOO_DEEP);
  }
  return value;
}

export const JSONScalar = new GraphQLScalarType({
  ...jsonConfig,
  parseValue: (value) => jsonConfig.parseValue!(checkedDepth(value)),
  parseLiteral: (ast, variables) => checkedDepth(jsonConfig.parseLiteral!(ast, variables)),
});
const safeIntConfig = SafeIntResolver.toConfig();

/**
 * graphql-scalars' SafeInt, with a refused variable quoted as graphql-js quotes one for its own Int
 * (`"100"` for a string), so the message shows a string sent where a number belongs; written bare, it
 * reads as the number the client believes it sent.
 */
export const SafeIntScalar = new GraphQLScalarType({
  ...safeIntConfig,
  parseValue(value) {
    if (typeof value !== 'number' || !Number.isInteger(value)) {
      throw new GraphQLError(`SafeInt cannot represent non-integer value: ${JSON.stringify(value)}`);
    }
    return safeIntConfig.parseValue!(value);
  },
});

/**
 * A DateTime field's value as the graph's objects carry it: PostgreSQL's timestamp text in a row read
 * by raw SQL, or a Date computed in this process (a fresh score, a published event). `serializeDateTime`
 * answers both the same.
 */
export type DateTimeValue = Date | string;

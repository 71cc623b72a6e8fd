// Scalars used across the graph. DateTime is ISO-8601 (values that do not parse are rejected
// with BAD_USER_INPUT before any resolver runs); JSON is free-form; SafeInt is a 53-bit integer.
import { GraphQLError, GraphQLScalarType } from 'graphql';
import { DateTimeISOResolver, JSONResolver, SafeIntResolver } from 'graphql-scalars';

const dateTimeConfig = DateTimeISOResolver.toConfig();

/**
 * A UTC timestamp as PostgreSQL writes it: '2026-01-15 09:30:00.123456+00' in a text column,
 * '2026-01-15T09:30:00.123456+00:00' inside JSON (the joined edges of a page). Groups: date, time,
 * fraction.
 */
const POSTGRES_UTC_TIMESTAMP = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?\+00(?::00)?$/;

/**
 * A DateTime's output: a Date, or a timestamp string from a raw SQL row. PostgreSQL's own UTC
 * strings are rewritten to the ISO form directly (milliseconds, truncated as a Date would); parsing
 * each into a Date to print it again cost a dashboard page of 100 timestamps about 60 µs. Anything
 * else (other offsets, 'infinity', BC) goes through a Date and graphql-scalars' checks.
 */
export function serializeDateTime(value: unknown): unknown {
  if (typeof value === 'string') {
    const utc = POSTGRES_UTC_TIMESTAMP.exec(value);
    if (utc) return `${utc[1]}T${utc[2]}.${utc[3] === undefined ? '000' : utc[3].padEnd(3, '0').slice(0, 3)}Z`;
    return dateTimeConfig.serialize!(new Date(value));
  }
  return dateTimeConfig.serialize!(value);
}

export const DateTimeScalar = new GraphQLScalarType({
  ...dateTimeConfig,
  name: 'DateTime',
  serialize: serializeDateTime,
  description: 'An ISO-8601 date-time, e.g. `2026-11-24T09:30:00Z`.',
});
/**
 * How deep a JSON value may nest: far beyond any the graph takes (a scoring model nests about six
 * levels, event metadata at most ten), and far below what would exhaust the stack of the code that
 * walks a value (argument conversion, validation), which would otherwise end in an internal error.
 */
export const MAX_JSON_DEPTH = 64;

/** Whether `value` nests deeper than `max` levels of objects and arrays (walked without recursion). */
function nestsDeeperThan(value: unknown, max: number): boolean {
  const pending: Array<[unknown, number]> = [[value, 1]];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [node, depth] = next;
    if (node === null || typeof node !== 'object') continue;
    if (depth > max) return true;
    for (const child of Object.values(node)) pending.push([child, depth + 1]);
  }
  return false;
}

const jsonConfig = JSONResolver.toConfig();

function checkedDepth(value: unknown): unknown {
  if (nestsDeeperThan(value, MAX_JSON_DEPTH)) throw new GraphQLError(`JSON value nested deeper than ${MAX_JSON_DEPTH} levels`);
  return value;
}

export const JSONScalar = new GraphQLScalarType({
  ...jsonConfig,
  parseValue: (value) => jsonConfig.parseValue!(checkedDepth(value)),
  parseLiteral: (ast, variables) => checkedDepth(jsonConfig.parseLiteral!(ast, variables)),
});
export const SafeIntScalar = SafeIntResolver;

/**
 * A DateTime field's value as the graph's objects carry it: PostgreSQL's timestamp text in a row read
 * by raw SQL, or a Date computed in this process (a fresh score, a published event). `serializeDateTime`
 * answers both the same.
 */
export type DateTimeValue = Date | string;

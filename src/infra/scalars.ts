// Scalars used across the graph. DateTime is ISO-8601 (values that do not parse are rejected
// with BAD_USER_INPUT before any resolver runs); JSON is free-form; SafeInt is a 53-bit integer.
import { GraphQLScalarType } from 'graphql';
import { DateTimeISOResolver, JSONResolver, SafeIntResolver } from 'graphql-scalars';

const dateTimeConfig = DateTimeISOResolver.toConfig();

export const DateTimeScalar = new GraphQLScalarType({
  ...dateTimeConfig,
  name: 'DateTime',
  // Raw SQL rows carry timestamps as PostgreSQL text ('2026-01-15 00:00:00.123456+00').
  serialize: (value) => dateTimeConfig.serialize!(typeof value === 'string' ? new Date(value) : value),
  description: 'An ISO-8601 date-time, e.g. `2026-11-24T09:30:00Z`.',
});
export const JSONScalar = JSONResolver;
export const SafeIntScalar = SafeIntResolver;

// What every part of the schema keeps to, so that a field or an enum added later keeps to it too:
// root fields that cost only themselves when they fail, descriptions a client's tooling (GraphiQL,
// codegen, an IDE) shows for every operation and every enum value, and lists paged as the README's
// "The graph" says.
import {
  getNamedType,
  getNullableType,
  GraphQLObjectType,
  GraphQLSchema,
  isEnumType,
  isListType,
  isNonNullType,
  isObjectType,
} from 'graphql';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { InProcessPubSub } from '../../src/infra/pubsub';
import { buildAppSchema } from '../../src/schema';

let schema: GraphQLSchema;

beforeAll(async () => {
  schema = await buildAppSchema(new InProcessPubSub());
});

function rootFields(...types: Array<GraphQLObjectType | null | undefined>) {
  return types.flatMap((type) =>
    type ? Object.values(type.getFields()).map((field) => ({ name: `${type.name}.${field.name}`, field })) : [],
  );
}

it('makes every query and mutation field nullable, so that its error nulls no field beside it', () => {
  const nonNull = rootFields(schema.getQueryType(), schema.getMutationType())
    .filter(({ field }) => isNonNullType(field.type))
    .map(({ name }) => name);
  expect(nonNull).toEqual([]);
});

it('describes every query, mutation and subscription field', () => {
  const undescribed = rootFields(schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType())
    .filter(({ field }) => !field.description?.trim())
    .map(({ name }) => name);
  expect(undescribed).toEqual([]);
});

it('describes every enum and each of its values', () => {
  const undescribed = Object.values(schema.getTypeMap())
    .filter(isEnumType)
    .filter((type) => !type.name.startsWith('__'))
    .flatMap((type) => [
      ...(type.description?.trim() ? [] : [type.name]),
      ...type
        .getValues()
        .filter((value) => !value.description?.trim())
        .map((value) => `${type.name}.${value.name}`),
    ]);
  expect(undescribed).toEqual([]);
});

/** The lists paged otherwise, each by the words the README's "The graph" names it with. */
const PAGED_OTHERWISE: Record<string, string> = {
  'Query.previewScoringModel': '`previewScoringModel(first, after)`',
  'HealthScore.reasons': '`HealthScore.reasons(first:)`',
};

it('pages every list as a Relay connection, but the exceptions the README names where it says so', () => {
  const readme = readFileSync(path.join(__dirname, '../../README.md'), 'utf8');
  const conventions = readme.slice(readme.indexOf('## The graph'), readme.indexOf('### Errors and what the API refuses'));
  const fields = Object.values(schema.getTypeMap())
    .filter(isObjectType)
    .filter((type) => !type.name.startsWith('__'))
    .flatMap((type) => Object.values(type.getFields()).map((field) => ({ name: `${type.name}.${field.name}`, field })));
  // A field that takes a page size or a cursor, or answers a list and takes any argument (a list a
  // client sizes or filters): a plain list of it, however few its arguments, is an exception to name.
  const sized = fields.filter(
    ({ field }) =>
      field.args.some((arg) => arg.name === 'first' || arg.name === 'after') ||
      (isListType(getNullableType(field.type)) && field.args.length > 0),
  );
  const pagedOtherwise = sized.filter(({ field }) => !getNamedType(field.type).name.endsWith('Connection')).map(({ name }) => name);
  expect(pagedOtherwise.sort()).toEqual(Object.keys(PAGED_OTHERWISE).sort());
  for (const name of pagedOtherwise) expect(conventions).toContain(PAGED_OTHERWISE[name]);
  // And every connection is paged by both.
  const unpaged = fields
    .filter(({ field }) => getNamedType(field.type).name.endsWith('Connection'))
    .filter(({ field }) => !['first', 'after'].every((name) => field.args.some((arg) => arg.name === name)))
    .map(({ name }) => name);
  expect(unpaged).toEqual([]);
});

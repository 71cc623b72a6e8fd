// What every part of the schema keeps to, so that a field or an enum added later keeps to it too:
// root fields that cost only themselves when they fail, descriptions a client's tooling (GraphiQL,
// codegen, an IDE) shows for every operation and every enum value, and lists paged as the README's
// "The graph" says.
import { getNamedType, GraphQLObjectType, GraphQLSchema, isEnumType, isNonNullType, isObjectType } from 'graphql';
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

it('pages every list as a Relay connection, but the exceptions the README names where it says so', () => {
  const readme = readFileSync(path.join(__dirname, '../../README.md'), 'utf8');
  const conventions = readme.slice(readme.indexOf('## The graph'), readme.indexOf('### Errors and what the API refuses'));
  const pagedOtherwise = Object.values(schema.getTypeMap())
    .filter(isObjectType)
    .filter((type) => !type.name.startsWith('__'))
    .flatMap((type) => Object.values(type.getFields()).map((field) => ({ type, field })))
    .filter(({ field }) => field.args.some((arg) => arg.name === 'after') && !getNamedType(field.type).name.endsWith('Connection'));
  expect(pagedOtherwise.map(({ type, field }) => `${type.name}.${field.name}`)).toEqual(['Query.previewScoringModel']);
  for (const { field } of pagedOtherwise) expect(conventions).toContain(`\`${field.name}(first, after)\``);
});

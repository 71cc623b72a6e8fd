// What every part of the schema keeps to, so that a field or an enum added later keeps to it too:
// root fields that cost only themselves when they fail, and descriptions a client's tooling
// (GraphiQL, codegen, an IDE) shows for every operation and every enum value.
import { GraphQLObjectType, GraphQLSchema, isEnumType, isNonNullType } from 'graphql';
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

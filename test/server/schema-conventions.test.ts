// What every part of the schema keeps to, so that a field added later keeps to it too: root fields
// that cost only themselves when they fail.
import { GraphQLObjectType, GraphQLSchema, isNonNullType } from 'graphql';
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

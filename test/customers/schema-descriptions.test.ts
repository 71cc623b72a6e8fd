// The schema says what each argument does: the plan filter among the customers' filters, the tier
// filter leaving lost accounts out, a history's bounds, and which NPS Customer.nps is.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSchema, GraphQLObjectType } from 'graphql';

const schema = buildSchema(readFileSync(join(__dirname, '../../schema.graphql'), 'utf8'));
const query = schema.getQueryType()!;
const argument = (field: string, name: string) => query.getFields()[field].args.find((arg) => arg.name === name)!;

it('describes the customers filters, the history bounds and Customer.nps', () => {
  expect(query.getFields().customers.description).toContain('plan');
  expect(argument('customers', 'tier').description).toMatch(/still to keep/);
  expect(argument('healthScoreHistory', 'from').description).toMatch(/^Inclusive lower bound/);
  expect(argument('healthScoreHistory', 'to').description).toMatch(/^Exclusive upper bound/);
  const nps = (schema.getType('Customer') as GraphQLObjectType).getFields().nps.description;
  expect(nps).toMatch(/weighted by recency/);
  expect(nps).toContain('npsSummary');
});

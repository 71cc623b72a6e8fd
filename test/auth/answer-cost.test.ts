// The cost estimate weighs what an answer may weigh: a text or JSON field by its longest answer, a
// list without `first` by the items it is expected to hold. Estimated on the schema itself, as the
// server estimates every operation before it runs (the refusal over HTTP is in limits.test.ts), for
// the fields a request could otherwise have answered megabytes of at the cost of a page of ids, and
// for the dashboard's own documents and the README's dashboard query, which must stay within it.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DocumentNode, GraphQLSchema, Kind, parse, TypeInfo, visit, visitWithTypeInfo } from 'graphql';
import { OperationLimitError } from '../../src/auth/auth.errors';
import { CostLimit } from '../../src/auth/operation-limits';
import { readConfig } from '../../src/infra/config';
import { textOf } from '../../src/infra/field-cost';
import { InProcessPubSub } from '../../src/infra/pubsub';
import { MAX_MESSAGE_LENGTH } from '../../src/outreach/outreach.types';
import { buildAppSchema } from '../../src/schema';
import { DEFAULT_SCORING_MODEL } from '../../src/scoring/model';
import { HEAVY_WALK_ROWS, MAX_WALK_ROWS } from '../../dashboard/src/walk-rows';
import * as dashboardDocuments from '../../dashboard/src/gql/graphql';

let schema: GraphQLSchema;
const MAX_QUERY_COST = readConfig({}).maxQueryCost;

beforeAll(async () => {
  schema = await buildAppSchema(new InProcessPubSub());
});

/** The estimated cost of `document` with `variables` (0 when nothing in it is estimated). */
function estimatedCost(document: DocumentNode | string, variables: Record<string, unknown> = {}): number {
  const limit = new CostLimit({ maxTokens: Number.MAX_SAFE_INTEGER, maxDepth: 100, maxAliases: 100, maxCost: 0 });
  try {
    limit.check({ schema, document: typeof document === 'string' ? parse(document) : document, variables });
    return 0;
  } catch (error) {
    // Anything else is a broken test, not an estimate.
    if (!(error instanceof OperationLimitError)) throw error;
    return (error.extensions as { found: number }).found;
  }
}

/** Whether the cost limit estimates `document`: it selects a page (a field taking `first`) or a field with a declared weight. */
function isEstimated(document: DocumentNode): boolean {
  const typeInfo = new TypeInfo(schema);
  let estimated = false;
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field() {
        const field = typeInfo.getFieldDef();
        if (field?.args.some((argument) => argument.name === 'first') || field?.extensions.complexity !== undefined) estimated = true;
      },
    }),
  );
  return estimated;
}

it('weighs a text or JSON field by its longest answer: four bytes a character, a unit of cost per 100 bytes', () => {
  const page = (list: string, field: string, args = '') => estimatedCost(`{ ${list}(first: 500${args}) { edges { node { ${field} } } } }`);
  // 1 + 500 × (edges 1 + node (1 + the field's weight))
  const weighs = (list: string, field: string, args = '') => (page(list, field, args) - 1) / 500 - 2;
  expect(weighs('npsResponses', 'comment')).toBe(400);
  expect(weighs('engagementEvents', 'metadata')).toBe(82);
  // A rendered message is stored cut to MAX_MESSAGE_LENGTH, whatever its placeholders filled in.
  expect(weighs('outreachLog', 'message')).toBe(textOf(MAX_MESSAGE_LENGTH));
  expect(textOf(MAX_MESSAGE_LENGTH)).toBe(80);
  expect(weighs('customers', 'churnReason')).toBe(40);
  expect(weighs('scoringRuns', 'error')).toBe(80);
  expect(weighs('changes', 'detail', ', since: "2026-01-01T00:00:00Z"')).toBe(41);
  expect(weighs('destinations', 'emailTextTemplate')).toBe(400);
  // An id or a label counts 1, as any scalar.
  expect(weighs('npsResponses', 'respondent')).toBe(1);
});

it('refuses a page of 500 NPS comments, which may weigh 40 KB each, and takes one of 100', () => {
  const comments = '{ a1: npsResponses(customerId: "zz_big", first: 500) { edges { node { comment } } } }';
  expect(estimatedCost(comments)).toBe(1 + 500 * 402);
  expect(estimatedCost(comments)).toBeGreaterThan(MAX_QUERY_COST);
  expect(estimatedCost('{ npsResponses(first: 100) { edges { node { comment } } } }')).toBeLessThanOrEqual(MAX_QUERY_COST);
});

it("counts an action's deliveries as 10 items, each with its lastError's weight", () => {
  const log = (deliveries: string) => estimatedCost(`{ outreachLog(first: 10) { edges { node { id ${deliveries} } } } }`);
  // deliveries: 1 + 10 × (status 1 + lastError 80)
  expect(log('deliveries { status lastError }') - log('')).toBe(10 * (1 + 10 * 81));
});

it('counts a page past 500 as 1: the field refuses its `first` itself, answering nothing but the error', () => {
  expect(estimatedCost('{ npsResponses(first: 501) { edges { node { comment } } } }')).toBe(1);
});

/**
 * The most rows each paged dashboard document is asked for: a list screen's page walk (a link to a deep
 * page, walk-rows.ts) asks for MAX_WALK_ROWS rows at a time, or HEAVY_WALK_ROWS for rows that weigh
 * kilobytes; the what-if preview pages by 50. Those naming `first` in the document itself (the live
 * feed's catch-up asks for 500 tier changes, a customer's page for its chart's 500 latest scores in its window) need no entry.
 */
const LARGEST_FIRST: Record<string, number> = {
  ChangesDocument: MAX_WALK_ROWS,
  CustomerNpsDocument: HEAVY_WALK_ROWS,
  CustomerPaymentsDocument: MAX_WALK_ROWS,
  CustomerTicketsDocument: MAX_WALK_ROWS,
  CustomerScoresDocument: MAX_WALK_ROWS,
  CsmOwnerCheckDocument: 50,
  CustomerOutreachDocument: HEAVY_WALK_ROWS,
  CustomersDocument: MAX_WALK_ROWS,
  OutreachLogDocument: HEAVY_WALK_ROWS,
  SignalEventsDocument: MAX_WALK_ROWS,
  SignalNpsDocument: HEAVY_WALK_ROWS,
  WorklistDocument: MAX_WALK_ROWS,
  PreviewScoringModelDocument: 50,
};

/** A value for every variable the dashboard's documents declare, each valid for its type; `first` comes from LARGEST_FIRST. */
const VARIABLE_VALUES: Record<string, unknown> = {
  id: 'c',
  csmOwner: 'Fatima Zahra',
  since: '2026-01-01T00:00:00Z',
  from: '2026-01-01T00:00:00Z',
  to: '2026-01-02T00:00:00Z',
  npsFrom: '2026-01-01T00:00:00Z',
  config: DEFAULT_SCORING_MODEL,
  tierPreset: 'standard',
  input: { from: '2026-01-01T00:00:00Z', to: '2026-01-02T00:00:00Z' },
};

it('keeps every dashboard document within the default limit, at the most rows the dashboard asks it for', () => {
  const costs = Object.entries(dashboardDocuments)
    .filter(([name]) => name.endsWith('Document'))
    .map(([name, value]) => {
      const document = value as DocumentNode;
      const operation = document.definitions.find((definition) => definition.kind === Kind.OPERATION_DEFINITION)!;
      // Each document given exactly the variables it declares: one left out would not coerce, and give no estimate.
      const variables = Object.fromEntries(
        (operation.variableDefinitions ?? []).map(({ variable: { name: variable } }) => {
          if (variable.value !== 'first') return [variable.value, VARIABLE_VALUES[variable.value]];
          if (!(name in LARGEST_FIRST)) throw new Error(`${name} takes $first: give LARGEST_FIRST its largest`);
          return ['first', LARGEST_FIRST[name]];
        }),
      );
      return { name, estimated: isEstimated(document), cost: estimatedCost(document, variables) };
    });
  expect(costs.length).toBeGreaterThan(10);
  // Estimated: a document that selects a page or a weighed field has a cost (its variables coerced).
  expect(costs.filter(({ estimated, cost }) => estimated !== cost > 0)).toEqual([]);
  expect(costs.filter(({ estimated }) => estimated).length).toBeGreaterThan(10);
  expect(costs.filter(({ cost }) => cost > MAX_QUERY_COST)).toEqual([]);
});

it("keeps the README's dashboard query within the default limit at 500 customers a page, as the README says", () => {
  const readme = readFileSync(path.join(__dirname, '../../README.md'), 'utf8');
  const dashboard = /```graphql\n(query Dashboard \{[\s\S]*?)```/.exec(readme)![1];
  expect(dashboard).toContain('customers(first: 50,');
  expect(estimatedCost(dashboard.replace('customers(first: 50,', 'customers(first: 500,'))).toBeLessThanOrEqual(MAX_QUERY_COST);
});

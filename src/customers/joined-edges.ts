// The joined-edges optimisation, whole: a page of customers (`Query.customers`) joins the latest-child
// edges it selects (current score, latest NPS answer, last outreach action) into its own statement,
// one JSON column per edge named after the edge's field, and those edges are then answered from the
// row instead of by a DataLoader batch: a dashboard page is one statement and its nested fields
// resolve without waiting. Schema building applies it explicitly (`applyJoinedEdges` in schema.ts);
// without it every edge is loaded by its own field resolver (batched per page), with the same answers.
import { FieldNode, GraphQLObjectType, GraphQLResolveInfo, GraphQLSchema } from 'graphql';
import { LatestChildSpec, latestChildSql } from '../infra/loaders';
import { subfields } from '../infra/selection';
import { latestNpsResponseSpec } from '../nps/nps.service';
import { lastOutreachActionSpec } from '../outreach/outreach.service';
import { latestScoreSpec } from '../scoring/health-score.queries';

/**
 * The Customer edges a page may join, by field name: the latest child the edge answers, reading the
 * columns its own selection asks for. Each is also a field resolver (loading the same child).
 */
const JOINED_EDGES: Readonly<Record<string, (fields: Map<string, FieldNode[]>) => LatestChildSpec>> = {
  currentScore: latestScoreSpec,
  latestNpsResponse: latestNpsResponseSpec,
  lastOutreachAction: lastOutreachActionSpec,
};

/** The schemas the optimisation was applied to: only their customer pages join edges. */
const applied = new WeakSet<GraphQLSchema>();

/** A select-list column carrying the child of `parentId` for `field` as JSON (null when none). */
function joinedChildColumn(field: string, spec: LatestChildSpec, parentId: string): string {
  return `(select row_to_json(child) from (${latestChildSql(spec, parentId)}) child) as "${field}"`;
}

/**
 * Select-list columns of a customers page (rows `c`) for the joinable edges selected under
 * `edges { node { … } }` (`node`), when the schema being executed has the optimisation applied.
 */
export function joinedEdgeColumns(node: Map<string, FieldNode[]>, info: GraphQLResolveInfo): string[] {
  if (!applied.has(info.schema)) return [];
  const columns: string[] = [];
  for (const [field, spec] of Object.entries(JOINED_EDGES)) {
    const nodes = node.get(field);
    if (nodes) columns.push(joinedChildColumn(field, spec(subfields(nodes, info)), 'c.id'));
  }
  return columns;
}

/**
 * Answers each joinable edge from the customer row when the page joined it, and by its own field
 * resolver otherwise. Wrapping the built field (rather than a type-graphql middleware) answers the
 * joined edge before type-graphql's resolver plumbing (parameter decorators, middleware chain,
 * promise checks): on a dashboard page that is 150 fields that only read a property. Authorisation is
 * unchanged: the page itself requires the read scope, as every joined edge does.
 */
export function applyJoinedEdges(schema: GraphQLSchema): void {
  const customer = schema.getType('Customer');
  if (!(customer instanceof GraphQLObjectType)) throw new Error('the schema has no Customer object type');
  for (const name of Object.keys(JOINED_EDGES)) {
    const field = customer.getFields()[name];
    const resolve = field?.resolve;
    if (!resolve) throw new Error(`Customer.${name} has no resolver to fall back on`);
    field.resolve = (source, args, context, info) =>
      Object.hasOwn(source as object, name) ? (source as Record<string, unknown>)[name] : resolve(source, args, context, info);
  }
  applied.add(schema);
}

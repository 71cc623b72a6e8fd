// The joined-edges optimisation, whole: a page of customers (`Query.customers`) joins the latest-child
// edges it selects (current score, latest NPS answer, last outreach action) into its own statement,
// one JSON column per edge named after the edge's field, and each edge's own field resolver then
// answers from the row instead of by a DataLoader batch: a dashboard page is one statement. The edges
// stay ordinary type-graphql field resolvers, their scope checked on the whole operation before it runs
// (RequireScopeBeforeRun), joined or not; a customer read any other way has no joined column and its
// edges are loaded, batched per request, with the same answers.
import { FieldNode, GraphQLResolveInfo } from 'graphql';
import { LatestChildSpec, LoaderRegistry, latestChildSql } from '../infra/loaders';
import { subfields } from '../infra/selection';
import { latestNpsResponseSpec } from '../nps/nps.service';
import { lastOutreachActionSpec } from '../outreach/outreach.service';
import { latestScoreSpec } from '../scoring/health-score.queries';

/**
 * The Customer edges a page may join, by field name: the latest child the edge answers, reading the
 * columns its own selection asks for. Each edge's field resolver loads the same child when not joined.
 */
const JOINED_EDGES = {
  currentScore: latestScoreSpec,
  latestNpsResponse: latestNpsResponseSpec,
  lastOutreachAction: lastOutreachActionSpec,
} as const satisfies Readonly<Record<string, (fields: Map<string, FieldNode[]>) => LatestChildSpec>>;

export type JoinedEdge = keyof typeof JOINED_EDGES;

/** A select-list column carrying the child of `parentId` for `field` as JSON (null when none). */
function joinedChildColumn(field: JoinedEdge, spec: LatestChildSpec, parentId: string): string {
  return `(select row_to_json(child) from (${latestChildSql(spec, parentId)}) child) as "${field}"`;
}

/**
 * Select-list columns of a customers page (rows `c`) for the joinable edges selected under
 * `edges { node { … } }` (`node`). None without batching (DISABLE_DATALOADER, the benchmark
 * baseline): each edge is then loaded one customer at a time, as every nested field is.
 */
export function joinedEdgeColumns(node: Map<string, FieldNode[]>, info: GraphQLResolveInfo, loaders: LoaderRegistry): string[] {
  if (!loaders.batching) return [];
  const columns: string[] = [];
  for (const [field, spec] of Object.entries(JOINED_EDGES)) {
    const nodes = node.get(field);
    if (nodes) columns.push(joinedChildColumn(field as JoinedEdge, spec(subfields(nodes, info)), 'c.id'));
  }
  return columns;
}

/** The edge `field` of `customer`: the child its page joined (null when it has none), else `load()`. */
export function joinedOrLoaded<T>(customer: object, field: JoinedEdge, load: () => Promise<T | null>): T | null | Promise<T | null> {
  return Object.hasOwn(customer, field) ? ((customer as Record<JoinedEdge, T | null>)[field] ?? null) : load();
}

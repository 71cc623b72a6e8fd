// How subscriptions execute (src/infra/subscription-execution.ts): an event reaching many
// subscribers of the same operation is executed once and that result sent to each; different
// variables or selections get their own execution; unsubscribing leaves the channel at once.
import { GraphQLError, GraphQLID, GraphQLNonNull, GraphQLObjectType, GraphQLSchema, GraphQLString, parse } from 'graphql';
import { InProcessPubSub } from '../../src/infra/pubsub';
import { EventStream, MAX_SUBSCRIPTION_NODES, subscriptionExecution, syntaxNodesUpTo } from '../../src/infra/subscription-execution';

interface Change {
  id: string;
  tier: string;
}

let labelExecutions = 0;
const pubsub = new InProcessPubSub();

const ChangeType = new GraphQLObjectType<Change>({
  name: 'Change',
  fields: {
    id: { type: new GraphQLNonNull(GraphQLID) },
    label: {
      type: GraphQLString,
      args: { prefix: { type: GraphQLString } },
      resolve: (change, { prefix }: { prefix?: string | null }) => {
        labelExecutions++;
        return `${prefix ?? ''}${change.id}:${change.tier}`;
      },
    },
  },
});

const schema = new GraphQLSchema({
  query: new GraphQLObjectType({ name: 'Query', fields: { ok: { type: GraphQLString } } }),
  subscription: new GraphQLObjectType({
    name: 'Subscription',
    fields: {
      changed: {
        type: ChangeType,
        args: { channel: { type: new GraphQLNonNull(GraphQLString) } },
        subscribe: (_root, { channel }: { channel: string }) => {
          if (channel === 'forbidden') throw new GraphQLError('no such channel', { extensions: { code: 'BAD_USER_INPUT' } });
          return pubsub.subscribe(channel);
        },
        resolve: (change: Change) => change,
      },
    },
  }),
});

const LABELS = 'subscription ($channel: String!, $prefix: String) { changed(channel: $channel) { id label(prefix: $prefix) } }';
const IDS_ONLY = 'subscription ($channel: String!) { changed(channel: $channel) { id } }';

type Stream = EventStream<{ data?: unknown; errors?: readonly GraphQLError[] }>;

async function open(
  execution: ReturnType<typeof subscriptionExecution>,
  source: string,
  variableValues: Record<string, unknown>,
): Promise<Stream> {
  const document = execution.parse(source);
  expect(execution.validate(schema, document)).toEqual([]);
  const result = await execution.subscribe({ schema, document, variableValues, contextValue: {} });
  if (!(Symbol.asyncIterator in result)) throw new Error(`did not subscribe: ${JSON.stringify(result.errors)}`);
  return result;
}

/** Lets the in-process PubSub hand the published events over (it delivers in setImmediate slices). */
const delivered = () => new Promise((resolve) => setImmediate(resolve));

beforeEach(() => {
  labelExecutions = 0;
});

it('executes an event once for every subscriber of the same operation, and each receives it', async () => {
  const execution = subscriptionExecution();
  const streams = await Promise.all([1, 2, 3].map(() => open(execution, LABELS, { channel: 'same', prefix: '>' })));
  pubsub.publish('same', { id: 'c1', tier: 'critical' });
  pubsub.publish('same', { id: 'c2', tier: 'healthy' });
  await delivered();
  for (const stream of streams) {
    expect((await stream.next()).value).toEqual({ data: { changed: { id: 'c1', label: '>c1:critical' } } });
    expect((await stream.next()).value).toEqual({ data: { changed: { id: 'c2', label: '>c2:healthy' } } });
  }
  expect(labelExecutions).toBe(2);
  for (const stream of streams) await stream.return();
});

it('executes separately for other variables and for another selection, so each gets what it asked for', async () => {
  const execution = subscriptionExecution();
  const arrows = await open(execution, LABELS, { channel: 'mixed', prefix: '>' });
  const stars = await open(execution, LABELS, { channel: 'mixed', prefix: '*' });
  const ids = await open(execution, IDS_ONLY, { channel: 'mixed' });
  pubsub.publish('mixed', { id: 'c3', tier: 'at_risk' });
  await delivered();
  expect((await arrows.next()).value).toEqual({ data: { changed: { id: 'c3', label: '>c3:at_risk' } } });
  expect((await stars.next()).value).toEqual({ data: { changed: { id: 'c3', label: '*c3:at_risk' } } });
  expect((await ids.next()).value).toEqual({ data: { changed: { id: 'c3' } } });
  expect(labelExecutions).toBe(2);
  for (const stream of [arrows, stars, ids]) await stream.return();
});

it('leaves the channel as soon as the client unsubscribes, even while waiting for an event', async () => {
  const execution = subscriptionExecution();
  const stream = await open(execution, LABELS, { channel: 'leaving' });
  const waiting = stream.next();
  expect(await pubsub.listened(['leaving'])).toEqual(new Set(['leaving']));
  await stream.return();
  expect(await pubsub.listened(['leaving'])).toEqual(new Set());
  expect(await waiting).toEqual({ value: undefined, done: true });
});

it('answers the errors of a subscription that cannot start, and of a document that does not validate', async () => {
  const execution = subscriptionExecution();
  const result = await execution.subscribe({
    schema,
    document: execution.parse(LABELS),
    variableValues: { channel: 'forbidden' },
    contextValue: {},
  });
  expect(Symbol.asyncIterator in result).toBe(false);
  expect((result as { errors: GraphQLError[] }).errors.map((e) => [e.message, e.extensions.code])).toEqual([
    ['no such channel', 'BAD_USER_INPUT'],
  ]);
  const invalid = execution.parse('subscription { changed(channel: "x") { nope } }');
  expect(execution.validate(schema, invalid).map((e) => e.message)).toEqual(['Cannot query field "nope" on type "Change".']);
  expect(() => execution.parse('subscription {')).toThrow(GraphQLError);
});

it('parses a query text once and validates a document once, and still parses what it was not asked to cache', () => {
  const execution = subscriptionExecution();
  const document = execution.parse(LABELS);
  expect(execution.parse(LABELS)).toBe(document);
  expect(execution.validate(schema, document)).toBe(execution.validate(schema, document));
  expect(execution.parse(LABELS, { noLocation: true })).not.toBe(document);
  expect(execution.parse(LABELS, { noLocation: true })).toEqual(parse(LABELS, { noLocation: true }));
});

it('keeps no long query text: each is parsed again, so what the cache holds stays small whatever clients send', () => {
  const execution = subscriptionExecution();
  // Within the token limit, a string argument can make a text as long as a WebSocket message (a megabyte).
  const long = `subscription { changed(channel: "${'x'.repeat(100_000)}") { id } }`;
  const document = execution.parse(long);
  expect(document).toEqual(parse(long));
  expect(execution.parse(long)).not.toBe(document);
  expect(execution.parse(LABELS)).toBe(execution.parse(LABELS));
});

it('keeps parsed only documents of a few hundred syntax nodes: a large one is parsed again each time it comes', () => {
  const execution = subscriptionExecution();
  const small = 'subscription { changed { id } }';
  expect(execution.parse(small)).toBe(execution.parse(small));
  const large = `subscription { changed { ${Array.from({ length: MAX_SUBSCRIPTION_NODES }, () => 'id').join(' ')} } }`;
  expect(syntaxNodesUpTo(execution.parse(large), MAX_SUBSCRIPTION_NODES)).toBe(MAX_SUBSCRIPTION_NODES + 1);
  expect(execution.parse(large)).not.toBe(execution.parse(large));
});

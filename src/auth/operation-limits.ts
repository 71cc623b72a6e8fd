// Operation limits, refused before anything runs (OPERATION_LIMIT_EXCEEDED, with `limit`, `max` and
// `found`): tokens while parsing (GraphQL Armor's max-tokens parser), depth, aliases and introspection at
// validation (GraphQL Armor's rules, run once per distinct document), and the estimated cost with
// the request's variables (graphql-query-complexity) just before execution. Before the tokens, a value
// nested too deep for a recursive parse is refused as the JSON scalar refuses it once parsed
// (GRAPHQL_VALIDATION_FAILED). Between parsing and validation, repeated fields (repeated-fields.ts). The
// same checks guard HTTP (through Apollo) and WebSocket operations (websocket-guard.ts).
import type { ApolloServerPlugin } from '@apollo/server';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { MaxTokensParserWLexer } from '@escape.tech/graphql-armor-max-tokens';
import {
  BREAK,
  DocumentNode,
  getIntrospectionQuery,
  GraphQLError,
  GraphQLSchema,
  Kind,
  Lexer,
  parse,
  SelectionSetNode,
  Source,
  TokenKind,
  TypeInfo,
  validate,
  ValidationContext,
  ValidationRule,
  visit,
  visitWithTypeInfo,
} from 'graphql';
import { ComplexityEstimator, createComplexityRule, fieldExtensionsEstimator, simpleEstimator } from 'graphql-query-complexity';
import { JSON_ARGUMENT_TOO_DEEP, MAX_JSON_ARGUMENT_DEPTH } from '../infra/input';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../infra/pagination';
import { DocumentValidationError, OperationLimitError } from './auth.errors';
import { MAX_CHECKED_FIELDS, tooManyFieldsError } from './operation-scopes';

export interface OperationLimits {
  maxTokens: number;
  maxDepth: number;
  maxAliases: number;
  maxCost: number;
}

/**
 * Fields the cost estimate visits at most: as many as the scope walk checks, so that a document whose
 * fragments expand beyond them is refused with the same `fields` limit whichever meets it first.
 */
const MAX_ESTIMATED_FIELDS = MAX_CHECKED_FIELDS;

function limitError(limit: string, max: number, found: number | string, message: string): OperationLimitError {
  return new OperationLimitError(message, { limit, max, found });
}

/** As a validation error whose originalError carries the code (Apollo keeps it through ValidationError). */
function reportTo(context: ValidationContext | null, error: OperationLimitError): void {
  context?.reportError(new GraphQLError(error.message, { originalError: error, extensions: error.extensions }));
}

/**
 * The checks of a document before it is parsed, over HTTP and WebSocket alike: a value nested too
 * deep (DocumentValidationError), then too many tokens (OperationLimitError).
 */
export function checkBeforeParsing(source: string, limits: OperationLimits): void {
  checkValueNesting(source, limits);
  checkTokens(source, limits);
}

/**
 * How deep a value written in a document may nest before it is parsed: a JSON argument's own limit,
 * and as much again for the input objects and lists around it. Past this, a JSON value in it nests
 * deeper than MAX_JSON_ARGUMENT_DEPTH (or the value fits no input type); below it, the JSON scalar
 * draws the line exactly, once the document is parsed.
 */
const MAX_VALUE_NESTING = 2 * MAX_JSON_ARGUMENT_DEPTH;

/**
 * Throws when a value written in the document (an argument, a variable's default or type) nests
 * deeper than MAX_VALUE_NESTING, with the refusal the JSON scalar gives one nested less deeply.
 * graphql-js parses values recursively and no option bounds their nesting (its parse options bound
 * tokens, comments and length; GraphQL Armor's depth rule runs on the parsed document), so a few
 * thousand `[` under the token limit exhausted the stack of whichever parse met them first, and the
 * answer was the stack's error. The brackets are counted from graphql-js's own lexer, which reads
 * strings, block strings and comments as the parser does (a bracket in them is none) and keeps no
 * stack. Values are the only brackets within parentheses (arguments, and variable definitions with
 * their types, defaults and directives, whose arguments open parentheses within them). Past
 * `maxTokens` tokens the scan stops: the token limit refuses the rest.
 */
function checkValueNesting(source: string, limits: OperationLimits): void {
  if (!hasMoreOpeningBracketsThan(source, MAX_VALUE_NESTING)) return;
  const lexer = new Lexer(new Source(source));
  let parentheses = 0;
  let depth = 0;
  try {
    for (let tokens = 0, token = lexer.advance(); token.kind !== TokenKind.EOF && tokens < limits.maxTokens; token = lexer.advance()) {
      tokens += 1;
      if (token.kind === TokenKind.PAREN_L) parentheses += 1;
      else if (token.kind === TokenKind.PAREN_R) {
        parentheses = Math.max(0, parentheses - 1);
        if (parentheses === 0) depth = 0;
      } else if (parentheses > 0 && (token.kind === TokenKind.BRACKET_L || token.kind === TokenKind.BRACE_L)) {
        depth += 1;
        if (depth > MAX_VALUE_NESTING) throw new DocumentValidationError(JSON_ARGUMENT_TOO_DEEP);
      } else if (parentheses > 0 && (token.kind === TokenKind.BRACKET_R || token.kind === TokenKind.BRACE_R)) {
        depth -= 1;
      }
    }
  } catch (error) {
    // A syntax error: parsing proper reports it, with its position.
    if (!(error instanceof GraphQLError)) throw error;
  }
}

/**
 * Whether `source` holds more than `count` characters `[` or `{`, strings and comments included: a
 * document with fewer cannot nest anything deeper, so nearly every document is spared the lexer.
 */
function hasMoreOpeningBracketsThan(source: string, count: number): boolean {
  let found = 0;
  for (let i = 0; i < source.length; i++) {
    const code = source.charCodeAt(i);
    if ((code === 0x5b || code === 0x7b) && ++found > count) return true;
  }
  return false;
}

/**
 * Throws when `source` has more than `maxTokens` tokens. Every token is at least one character, so
 * a shorter text is not even lexed: only long documents pay for this pass, and a huge one is
 * abandoned as soon as it crosses the limit.
 */
function checkTokens(source: string, limits: OperationLimits): void {
  if (source.length <= limits.maxTokens) return;
  const max = limits.maxTokens;
  const refuse = (): never => {
    throw limitError('tokens', max, `> ${max}`, `the document has more than ${max} tokens`);
  };
  try {
    new MaxTokensParserWLexer(source, { n: max, propagateOnRejection: false, onReject: [refuse] }).parseDocument();
  } catch (error) {
    if (error instanceof OperationLimitError) throw error;
    // A syntax error: parsing proper reports it, with its position.
  }
}

/**
 * The nesting of fields of `document`, a fragment's fields counted where it is spread (as the depth
 * rule counts them with `flattenFragments`). For a document whose fragments do not spread themselves.
 */
function selectionDepth(document: DocumentNode): number {
  const fragments = new Map<string, SelectionSetNode>();
  for (const definition of document.definitions)
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition.selectionSet);
  const depthOf = (selections: SelectionSetNode | undefined): number => {
    let deepest = 0;
    for (const selection of selections?.selections ?? []) {
      const depth =
        selection.kind === Kind.FIELD
          ? 1 + depthOf(selection.selectionSet)
          : depthOf(selection.kind === Kind.INLINE_FRAGMENT ? selection.selectionSet : fragments.get(selection.name.value));
      deepest = Math.max(deepest, depth);
    }
    return deepest;
  };
  return Math.max(
    0,
    ...document.definitions.map((definition) => (definition.kind === Kind.OPERATION_DEFINITION ? depthOf(definition.selectionSet) : 0)),
  );
}

/**
 * How deep the fields under `__schema` may nest: as deep as graphql-js's own full introspection query
 * (what the playground and code generators send), which is deeper than MAX_QUERY_DEPTH's default, its
 * type references unwrapping `ofType` nine times. Beyond it nothing is a client's introspection, and
 * `fields { type { ofType { fields …` nested without end multiplies the schema.
 */
const INTROSPECTION_DEPTH = selectionDepth(
  parse(
    getIntrospectionQuery({
      descriptions: true,
      specifiedByUrl: true,
      directiveIsRepeatable: true,
      schemaDescription: true,
      inputValueDeprecation: true,
      oneOf: true,
    }),
  ),
);

function depthError(max: number, what: string): OperationLimitError {
  return limitError('depth', max, `> ${max}`, `${what} is nested deeper than ${max} levels`);
}

/**
 * Depth and alias limits as validation rules (GraphQL Armor), reporting OPERATION_LIMIT_EXCEEDED. The
 * fields under `__schema` are held to INTROSPECTION_DEPTH instead of `maxDepth` (when it is higher).
 */
export function limitValidationRules(limits: OperationLimits): ValidationRule[] {
  const introspectionDepth = Math.max(limits.maxDepth, INTROSPECTION_DEPTH);
  return [
    maxDepthRule({
      n: introspectionDepth,
      ignoreIntrospection: false,
      flattenFragments: true,
      propagateOnRejection: false,
      // Every field counts here; only a document that introspects is told about the introspection's
      // depth (a plain query that deep is refused by the rule below, with its own limit).
      onReject: [
        (context) => (selectsIntrospection(context) ? reportTo(context, depthError(introspectionDepth, 'the introspection')) : undefined),
      ],
    }),
    maxDepthRule({
      n: limits.maxDepth,
      // The nesting of fields: a fragment spread or an inline fragment is no level of its own, so
      // clients that compose their queries from fragments (Relay, urql, Apollo) are held to the same
      // depth as one written out.
      flattenFragments: true,
      propagateOnRejection: false,
      onReject: [(context) => reportTo(context, depthError(limits.maxDepth, 'the operation'))],
    }),
    maxAliasesRule({
      n: limits.maxAliases,
      // `__typename` counts too: hundreds of aliases of it are as many fields to answer.
      allowList: [],
      propagateOnRejection: false,
      onReject: [
        (context) =>
          reportTo(
            context,
            limitError('aliases', limits.maxAliases, `> ${limits.maxAliases}`, `the operation has more than ${limits.maxAliases} aliases`),
          ),
      ],
    }),
    introspectionRule(),
    batchFieldRule(),
  ];
}

/**
 * Mutation fields that take a whole batch of signals: one per operation. The batch's own limit
 * (MAX_BATCH_SIZE items) bounds one field; aliased copies of it in one request would each take a
 * full batch, thirty times the documented limit from a single request.
 */
const BATCH_FIELDS: ReadonlySet<string> = new Set(['trackEngagementBatch']);
const MAX_BATCH_FIELDS = 1;

function batchFieldRule(): ValidationRule {
  return (context) => ({
    OperationDefinition(operation) {
      if (operation.operation !== 'mutation') return;
      const found = batchResponseKeys(operation.selectionSet, context, new Set(), new Set());
      if (found.size > MAX_BATCH_FIELDS) {
        reportTo(
          context,
          limitError('batches', MAX_BATCH_FIELDS, found.size, `the operation has ${found.size} batch fields; send one batch per request`),
        );
      }
    },
  });
}

/**
 * The response keys of the batch fields among a mutation's root fields, through inline fragments and
 * fragment spreads. By response key: the same field under the same key is merged and runs once.
 */
function batchResponseKeys(selections: SelectionSetNode, context: ValidationContext, keys: Set<string>, spread: Set<string>): Set<string> {
  for (const selection of selections.selections) {
    if (selection.kind === Kind.FIELD) {
      if (BATCH_FIELDS.has(selection.name.value)) keys.add(selection.alias?.value ?? selection.name.value);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      batchResponseKeys(selection.selectionSet, context, keys, spread);
    } else if (!spread.has(selection.name.value)) {
      spread.add(selection.name.value);
      const fragment = context.getFragment(selection.name.value);
      if (fragment) batchResponseKeys(fragment.selectionSet, context, keys, spread);
    }
  }
  return keys;
}

/** Whether the document being validated selects `__schema` or `__type` anywhere. */
function selectsIntrospection(context: ValidationContext | null): boolean {
  if (!context) return false;
  let found = false;
  visit(context.getDocument(), {
    Field(node) {
      if (node.name.value === '__schema' || node.name.value === '__type') {
        found = true;
        return BREAK;
      }
      return undefined;
    },
  });
  return found;
}

/**
 * Introspection fields an operation may hold: one `__schema` (the whole schema, megabytes when its
 * parts are aliased) and a few `__type`. The cost estimate does not see them (they select no page),
 * so without this thirty aliased copies of the schema were one cheap-looking request.
 */
const MAX_INTROSPECTION: Readonly<Record<string, number>> = { __schema: 1, __type: 10 };

function introspectionRule(): ValidationRule {
  return (context) => {
    const found: Record<string, number> = {};
    let reported = false;
    return {
      Field(node) {
        const max = MAX_INTROSPECTION[node.name.value];
        if (max === undefined || reported) return;
        found[node.name.value] = (found[node.name.value] ?? 0) + 1;
        if (found[node.name.value] > max) {
          reported = true;
          reportTo(
            context,
            limitError('introspection', max, found[node.name.value], `the operation has more than ${max} ${node.name.value} field(s)`),
          );
        }
      },
    };
  };
}

/**
 * A field that takes `first` returns a page: it costs 1 + first × its children. A `first` outside
 * 1…MAX_PAGE_SIZE is refused by the field itself (BAD_USER_INPUT, `first must be between 1 and 500`),
 * which answers nothing but that error: it costs 1, so that the client is told what to change rather
 * than that a page of 500 would cost too much.
 */
const pageEstimator: ComplexityEstimator = ({ field, args, childComplexity }) => {
  if (!field.args.some((argument) => argument.name === 'first')) return undefined;
  const first = typeof args.first === 'number' ? args.first : DEFAULT_PAGE_SIZE;
  if (first < 1 || first > MAX_PAGE_SIZE) return 1;
  return 1 + first * childComplexity;
};

export interface CostRequest {
  schema: GraphQLSchema;
  document: DocumentNode;
  operationName?: string | null;
  variables?: Record<string, unknown> | null;
}

/** What the estimate of a document depends on, found once per parsed document. */
interface DocumentCosts {
  /**
   * Whether it selects a page (a field taking `first`), a list of a declared length or a field weighed by
   * its size (src/infra/field-cost.ts); without any, nothing in it multiplies or weighs more than its fields.
   */
  paged: boolean;
  /** The variables the estimate reads: those given to `first`, and the `if` of @skip and @include. */
  inputs: string[];
  /** Estimates already made, by operation name and the values of `inputs`. */
  estimates: Map<string, number>;
}

/** Estimates kept per document; beyond it they are recomputed. */
const MAX_ESTIMATES_PER_DOCUMENT = 100;

/**
 * The estimated-cost limit. The library coerces every variable to estimate an operation, which for
 * a batch of thousands of events costs as much as the batch: so a document that selects no page is
 * not estimated at all (each of its fields runs at most once per small list, and the token limit
 * already bounds how many it has), and the estimate of a paged one is remembered by the values of the
 * few variables it depends on. Parsed documents are shared by Apollo's and graphql-ws's caches.
 */
export class CostLimit {
  private readonly documents = new WeakMap<DocumentNode, DocumentCosts>();

  constructor(private readonly limits: OperationLimits) {}

  /** Throws OperationLimitError when the operation's estimated cost exceeds `maxCost`. */
  check(request: CostRequest): void {
    const costs = this.costsOf(request.schema, request.document);
    if (!costs.paged) return;
    const variables = request.variables ?? {};
    // A variable left out (its default applies) and one sent as null are different requests.
    const key = JSON.stringify([
      request.operationName ?? null,
      ...costs.inputs.map((name) => (Object.prototype.hasOwnProperty.call(variables, name) ? variables[name] : '\u0000absent')),
    ]);
    let cost = costs.estimates.get(key);
    if (cost === undefined) {
      cost = estimate(request);
      // Variables that do not coerce give no estimate: execution refuses them (BAD_USER_INPUT).
      if (cost === undefined) return;
      if (costs.estimates.size >= MAX_ESTIMATES_PER_DOCUMENT) costs.estimates.clear();
      costs.estimates.set(key, cost);
    }
    if (cost > this.limits.maxCost) {
      throw limitError('cost', this.limits.maxCost, cost, `the operation's estimated cost ${cost} exceeds ${this.limits.maxCost}`);
    }
  }

  private costsOf(schema: GraphQLSchema, document: DocumentNode): DocumentCosts {
    let costs = this.documents.get(document);
    if (costs) return costs;
    const typeInfo = new TypeInfo(schema);
    const inputs = new Set<string>();
    let paged = false;
    visit(
      document,
      visitWithTypeInfo(typeInfo, {
        Field() {
          const field = typeInfo.getFieldDef();
          if (field?.args.some((argument) => argument.name === 'first') || field?.extensions.complexity !== undefined) paged = true;
        },
        Argument(node) {
          // `first` of a field, or `if` of @skip and @include (the only arguments of directives here).
          if (node.value.kind === Kind.VARIABLE && (node.name.value === 'first' || node.name.value === 'if'))
            inputs.add(node.value.name.value);
        },
      }),
    );
    costs = { paged, inputs: [...inputs].sort(), estimates: new Map() };
    this.documents.set(document, costs);
    return costs;
  }
}

/** What graphql-query-complexity throws past `maxQueryNodes`. */
const ESTIMATOR_GAVE_UP = 'Query exceeds the maximum allowed number of nodes.';

/** graphql-query-complexity's estimate; undefined when the variables do not coerce. */
function estimate(request: CostRequest): number | undefined {
  let cost = 0;
  const rule = createComplexityRule({
    // Only to run: the limit is applied (and the estimate remembered) by the caller.
    maximumComplexity: Number.MAX_SAFE_INTEGER,
    variables: request.variables ?? {},
    operationName: request.operationName ?? undefined,
    // A list with an expected length declared on its field counts its items as a page does, and a text or
    // JSON field counts the weight declared on it (src/infra/field-cost.ts).
    estimators: [pageEstimator, fieldExtensionsEstimator(), simpleEstimator({ defaultComplexity: 1 })],
    maxQueryNodes: MAX_ESTIMATED_FIELDS,
    onComplete: (complexity) => (cost = complexity),
  });
  let errors: readonly GraphQLError[];
  try {
    errors = validate(request.schema, request.document, [rule]);
  } catch (error) {
    // The estimator gave up: fragments expand to more fields than it visits.
    if (error instanceof GraphQLError && error.message === ESTIMATOR_GAVE_UP) throw tooManyFieldsError();
    // Anything else is a value it could not read (a null for @include's `if`): execution refuses it.
    return undefined;
  }
  return errors.length > 0 ? undefined : cost;
}

/** The cost limit as an Apollo plugin: it runs after validation, with the request's variables. */
export function costLimitPlugin(costLimit: CostLimit): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ schema, document, operationName, request }) {
          try {
            costLimit.check({ schema, document, operationName, variables: request.variables });
          } catch (error) {
            if (!(error instanceof OperationLimitError)) throw error;
            throw new GraphQLError(error.message, { originalError: error, extensions: { ...error.extensions, http: { status: 400 } } });
          }
        },
      };
    },
  };
}

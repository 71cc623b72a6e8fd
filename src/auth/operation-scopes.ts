// Every field an operation selects is checked against the key's scopes before anything runs, nested
// ones included. type-graphql's authChecker (auth-checker.ts) refuses a field when it is resolved,
// which for a nested field of a mutation's answer (`recordPayment { customer { name } }` with an
// ingest-only key) is after the mutation has written: the client saw FORBIDDEN, retried, and wrote
// twice. `@RequireScope` records a field's scopes in its schema extensions (type-graphql's documented
// `@Extensions`), and this walk reads them from the operation's selections, fragments expanded.
import type { ApolloServerPlugin } from '@apollo/server';
import {
  DocumentNode,
  FieldNode,
  FragmentDefinitionNode,
  getNamedType,
  GraphQLError,
  GraphQLSchema,
  isInterfaceType,
  isObjectType,
  Kind,
  OperationDefinitionNode,
  SelectionSetNode,
  GraphQLNamedType,
  ValueNode,
  valueFromASTUntyped,
} from 'graphql';
import { Authorized, Extensions } from 'type-graphql';
import type { GraphQLContext } from '../context';
import { answersGraphQLResponseJson } from '../infra/response-media-type';
import { ForbiddenError, OperationLimitError } from './auth.errors';
import { hasScope, Principal } from './principal';
import type { Scope } from './scopes';
import { storedReadbackErrors } from './stored-readback';

/**
 * Fields the walk visits at most, fragments expanded (a legitimate operation selects hundreds). An
 * operation that selects more is refused whole: a field the walk has not reached may need a scope
 * that only the walk checks (the admin-only configuration of a destination, a customer's fields
 * under an ingest key's mutation), and nested fragments can repeat a field past any count cheaply.
 */
export const MAX_CHECKED_FIELDS = 20_000;

/** The refusal of an operation selecting more than MAX_CHECKED_FIELDS fields, by the walk or by the cost estimate. */
export function tooManyFieldsError(): OperationLimitError {
  const message = `the operation selects more than ${MAX_CHECKED_FIELDS} fields, fragments expanded: refused unchecked`;
  return new OperationLimitError(message, { limit: 'fields', max: MAX_CHECKED_FIELDS, found: `> ${MAX_CHECKED_FIELDS}` });
}

/** `@Authorized(...scopes)`, with the scopes also in the field's `requiredScopes` extension for the walk below. */
export function RequireScope(...scopes: Scope[]): MethodDecorator & PropertyDecorator {
  const authorized = Authorized(...scopes) as (target: object, key: string | symbol, descriptor?: PropertyDescriptor) => void;
  const extensions = Extensions({ requiredScopes: scopes }) as (
    target: object,
    key: string | symbol,
    descriptor?: PropertyDescriptor,
  ) => void;
  return ((target: object, key: string | symbol, descriptor?: PropertyDescriptor) => {
    authorized(target, key, descriptor);
    extensions(target, key, descriptor);
  }) as MethodDecorator & PropertyDecorator;
}

/**
 * The scopes in the field's `requiredScopes` extension only: checked by the walk below on the whole
 * operation before any of it runs, as the Customer's own columns are, and not again by type-graphql
 * each time the field resolves. For the edges a customers page answers for every row from the row
 * itself (customers/joined-edges.ts), where type-graphql's authorisation, a chain of promises per
 * resolution, would cost more than the answer.
 */
export function RequireScopeBeforeRun(...scopes: Scope[]): MethodDecorator & PropertyDecorator {
  return Extensions({ requiredScopes: scopes });
}

/**
 * A field whose argument, when given, needs scopes of its own (`upsertCustomer`'s
 * `input.communicationOptOut`, an admin action under an ingest-scope mutation): recorded in the
 * field's `scopedArguments` extension, checked by the walk below against the literal or the
 * variable the argument holds, so the whole operation is refused before any of it runs.
 */
export interface ScopedArgument {
  /** The argument, then input fields: ['input', 'communicationOptOut']. */
  path: string[];
  scopes: Scope[];
  /** The refusal's subject, as the resolver's own check names it ('customer.optOut'). */
  action: string;
  /**
   * Whether the argument, given and not null, needs the scopes with the field's other arguments as
   * sent (`argument(path)`: the value a path reaches, variables read; undefined when not given).
   * Default: always. For an argument whose check reads a stored value only in some requests.
   */
  when?: (argument: (path: string[]) => unknown) => boolean;
  /** Why it needs them, and what to send instead, appended to the refusal. */
  reason?: string;
}

export function RequireScopeForArgument(...scopedArguments: ScopedArgument[]): MethodDecorator {
  // One decorator for all of a field's: a second `Extensions` of the same name would replace the first.
  return Extensions({ scopedArguments }) as MethodDecorator;
}

/** The value `path` reaches in a field's arguments, as sent (a literal as its plain value), variables read; undefined when not given. */
function argumentValue(selection: FieldNode, path: string[], variables: Record<string, unknown>): unknown {
  const [name, ...rest] = path;
  const argument = selection.arguments?.find((a) => a.name.value === name);
  if (!argument) return undefined;
  let node: ValueNode | undefined = argument.value;
  let value: unknown;
  for (let i = 0; ; i++) {
    if (node?.kind === Kind.VARIABLE) {
      value = variables[node.name.value];
      for (const key of rest.slice(i))
        value = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
      return value;
    }
    if (i === rest.length) return node === undefined ? undefined : valueFromASTUntyped(node, variables);
    node = node?.kind === Kind.OBJECT ? node.fields.find((f) => f.name.value === rest[i])?.value : undefined;
    if (node === undefined) return undefined;
  }
}

/**
 * One FORBIDDEN error per selected field the principal's scopes do not allow (path by response
 * keys), or whose arguments give one that needs scopes it lacks; [] when all are allowed. An
 * operation selecting more than MAX_CHECKED_FIELDS fields gets one OPERATION_LIMIT_EXCEEDED error
 * instead: it is not checked, so it must not run.
 */
export function operationScopeErrors(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  principal: Principal | undefined,
  variables: Record<string, unknown> = {},
): ForbiddenErrorAt[] {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const root = schema.getRootType(operation.operation);
  if (!root) return [];
  // What each variable holds when the operation runs: the value sent, else its default.
  const values: Record<string, unknown> = {};
  for (const definition of operation.variableDefinitions ?? []) {
    if (definition.defaultValue) values[definition.variable.name.value] = valueFromASTUntyped(definition.defaultValue);
  }
  Object.assign(values, variables);
  const errors = new Map<string, ForbiddenErrorAt>();
  let checked = 0;
  const walk = (selectionSet: SelectionSetNode, parent: GraphQLNamedType, path: string[]): void => {
    for (const selection of selectionSet.selections) {
      if (checked > MAX_CHECKED_FIELDS) return;
      if (selection.kind === Kind.FIELD) {
        checked++;
        const field = isObjectType(parent) || isInterfaceType(parent) ? parent.getFields()[selection.name.value] : undefined;
        if (!field) continue;
        const at = [...path, selection.alias?.value ?? selection.name.value];
        const scopes = field.extensions?.requiredScopes as Scope[] | undefined;
        if (scopes && !scopes.some((scope) => hasScope(principal, scope))) {
          const key = at.join('.');
          if (!errors.has(key)) {
            errors.set(key, {
              path: at,
              error: new ForbiddenError(`${parent.name}.${field.name} needs the ${scopes.join(' or ')} scope`, { requiredScopes: scopes }),
            });
          }
          continue;
        }
        for (const argument of (field.extensions?.scopedArguments as ScopedArgument[] | undefined) ?? []) {
          const given = argumentValue(selection, argument.path, values);
          if (given === undefined || given === null || argument.scopes.some((scope) => hasScope(principal, scope))) continue;
          if (argument.when && !argument.when((path) => argumentValue(selection, path, values))) continue;
          const key = at.join('.');
          if (!errors.has(key)) {
            const why = argument.reason ? `: ${argument.reason}` : '';
            errors.set(key, {
              path: at,
              error: new ForbiddenError(`${argument.action} needs the ${argument.scopes.join(' or ')} scope${why}`, {
                requiredScopes: argument.scopes,
              }),
            });
          }
        }
        if (selection.selectionSet) walk(selection.selectionSet, getNamedType(field.type), at);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parent;
        if (type) walk(selection.selectionSet, type, path);
      } else {
        const fragment = fragments.get(selection.name.value);
        const type = fragment && schema.getType(fragment.typeCondition.name.value);
        if (fragment && type) walk(fragment.selectionSet, type, path);
      }
    }
  };
  walk(operation.selectionSet, root, []);
  if (checked > MAX_CHECKED_FIELDS) return [{ path: [], error: tooManyFieldsError() }];
  return [...errors.values()];
}

export interface ForbiddenErrorAt {
  /** The refused field's response path; [] for the whole operation. */
  path: string[];
  error: ForbiddenError | OperationLimitError;
}

/** As GraphQL errors with their paths, as execution would have reported them. */
export function asGraphQLErrors(refusals: ForbiddenErrorAt[]): GraphQLError[] {
  return refusals.map(
    ({ path, error }) =>
      new GraphQLError(error.message, { path: path.length > 0 ? path : undefined, originalError: error, extensions: error.extensions }),
  );
}

/**
 * The walk as an Apollo plugin: it runs once the operation is known, before execution; then what an
 * ingest mutation's answer may show of a record already stored (stored-readback.ts).
 */
export function operationScopesPlugin(): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ schema, document, operation, contextValue, request }) {
          if (!operation) return;
          const principal = contextValue.auth?.principal;
          const variables = request.variables ?? {};
          let refusals = operationScopeErrors(schema, document, operation, principal, variables);
          if (refusals.length === 0)
            refusals = await storedReadbackErrors(schema, document, operation, principal, variables, () => contextValue.db);
          if (refusals.length === 0) return;
          // Answered as execution answers a refused root field (the field's path; HTTP 200 to an
          // application/json client), but without `data`, which application/graphql-response+json
          // answers with a 4xx. An Apollo plugin answers one error, the first refused field's. An
          // operation too large to check has the 400 of the other operation limits (operation-limits.ts).
          const [{ path, error }] = refusals;
          const status =
            error instanceof OperationLimitError ? 400 : answersGraphQLResponseJson(request.http?.headers.get('accept')) ? 403 : 200;
          throw new GraphQLError(error.message, {
            path: path.length > 0 ? path : undefined,
            originalError: error,
            extensions: { ...error.extensions, http: { status } },
          });
        },
      };
    },
  };
}

// type-graphql's authChecker: `@Authorized(Scope.X)` on a query, mutation, subscription or field
// resolver admits a principal holding X (or admin), and refuses anyone else with FORBIDDEN before
// the resolver runs, so a refused mutation writes nothing. Subscriptions are checked when they
// subscribe (type-graphql wraps `subscribe` too) and again for each event.
import type { AuthCheckerFn } from 'type-graphql';
import type { GraphQLContext } from '../context';
import { ForbiddenError } from './auth.errors';
import { hasScope } from './principal';
import type { Scope } from './scopes';

export const authChecker: AuthCheckerFn<GraphQLContext, Scope> = ({ context, info }, scopes) => {
  if (scopes.some((scope) => hasScope(context.auth?.principal, scope))) return true;
  throw new ForbiddenError(`${info.parentType.name}.${info.fieldName} needs the ${scopes.join(' or ')} scope`, { requiredScopes: scopes });
};

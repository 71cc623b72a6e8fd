// `@UseMiddleware(auditAdminAction(...))` on a resolver: the action needs the admin scope (checked
// again here, so an audited action cannot be opened up by a wrong @Authorized), and once it has
// succeeded it is recorded in the audit log with the acting key. An action that fails is not
// recorded: it changed nothing. Recording happens after the action committed; if the audit insert
// itself fails, the entry goes to the error log instead and the caller still gets its result, so a
// client never retries an action that took effect.
import type { MiddlewareFn } from 'type-graphql';
import type { GraphQLContext } from '../context';
import { ForbiddenError } from './auth.errors';
import { AuditAction, recordAudit } from './audit-log.service';
import { actorOf, hasScope } from './principal';
import { Scope } from './scopes';

type Args = Record<string, unknown>;

export interface AuditOptions {
  /** The action is an admin action only for these arguments (default: always). */
  when?: (args: Args) => boolean;
  /** What it acts on: a customer id, a model version… */
  target?: (args: Args, result: unknown) => string | null | undefined;
  details?: (args: Args, result: unknown) => Record<string, unknown> | null | undefined;
}

export function auditAdminAction(action: AuditAction, options: AuditOptions = {}): MiddlewareFn<GraphQLContext> {
  return async ({ args, context }, next) => {
    if (options.when && !options.when(args)) return next();
    const principal = context.auth?.principal;
    if (!principal || !hasScope(principal, Scope.ADMIN)) {
      throw new ForbiddenError(`${action} needs the admin scope`, { requiredScopes: [Scope.ADMIN] });
    }
    const result: unknown = await next();
    const record = {
      actor: actorOf(principal),
      action,
      target: options.target?.(args, result) ?? null,
      details: options.details?.(args, result) ?? null,
      clientAddress: context.auth.clientAddress,
    };
    try {
      await recordAudit(context.db, record);
    } catch (error) {
      context.services.logger.error({ err: error, audit: record }, 'audit entry not recorded');
    }
    return result;
  };
}

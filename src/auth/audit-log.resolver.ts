// The audit log query (admin).
import { Args, Ctx, Query, Resolver } from 'type-graphql';
import { RequireScope } from './operation-scopes';
import type { GraphQLContext } from '../context';
import type { ConnectionResult } from '../infra/pagination';
import { listAuditLog } from './audit-log.service';
import { AuditLogArgs, AuditLogConnection, AuditLogEntry } from './audit-log.types';
import { Scope } from './scopes';

@Resolver(() => AuditLogEntry)
export class AuditLogResolver {
  @RequireScope(Scope.ADMIN)
  @Query(() => AuditLogConnection, { nullable: true, description: 'Admin actions, newest first: who (key id), what, on what, when.' })
  auditLog(@Args() args: AuditLogArgs, @Ctx() { db }: GraphQLContext): Promise<ConnectionResult<AuditLogEntry>> {
    return listAuditLog(db, args);
  }
}

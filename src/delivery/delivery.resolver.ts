// Destinations, the CSM directory and deliveries in the graph: admin to configure and redeliver,
// read to see what reached whom. Thin: the services validate and write.
import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root, UseMiddleware } from 'type-graphql';
import { RequireScope } from '../auth/operation-scopes';
import { auditAdminAction } from '../auth/audit.middleware';
import { actorOf, hasScope } from '../auth/principal';
import { Scope } from '../auth/scopes';
import { PageArgs } from '../customers/customer.types';
import type { GraphQLContext } from '../context';
import type { ConnectionResult } from '../infra/pagination';
import { OutreachAction } from '../outreach/outreach.types';
import { listOf, textOf } from '../infra/field-cost';
import { MAX_STORED_ERROR_LENGTH, redactDeliveryError } from './delivery-errors';
import { countDeliveriesByStatus, DeliveryRow, loadActionDeliveries, redeliver } from './delivery.service';
import {
  CsmContact,
  CsmContactConnection,
  CsmContactInput,
  Delivery,
  DeliveryStatus,
  DeliverySummary,
  DeliverySummaryArgs,
  Destination,
  DestinationConnection,
  DestinationDeliveryCounts,
  DestinationInput,
} from './delivery.types';
import {
  createDestination,
  deleteDestination,
  destinationAuditDetails,
  listCsmContacts,
  listDestinations,
  loadDestination,
  MAX_DESTINATIONS,
  setCsmContact,
  updateDestination,
} from './destination.service';

@Resolver(() => Destination)
export class DestinationResolver {
  @RequireScope(Scope.ADMIN)
  @Query(() => DestinationConnection, {
    nullable: true,
    description: 'The destinations outreach is delivered to (not deleted ones), oldest first.',
  })
  destinations(@Args() args: PageArgs, @Ctx() { db }: GraphQLContext): Promise<ConnectionResult<Destination>> {
    return listDestinations(db, args);
  }

  @RequireScope(Scope.ADMIN)
  @UseMiddleware(auditAdminAction('destination.create', { target: destinationTarget, details: destinationDetails }))
  @Mutation(() => Destination, {
    nullable: true,
    description: 'Adds a destination: actions decided from now on that its filter matches are delivered to it.',
  })
  createDestination(
    @Arg('input', () => DestinationInput) input: DestinationInput,
    @Ctx() { db, services }: GraphQLContext,
  ): Promise<Destination> {
    return createDestination(db, input, { allowPrivateNetworks: services.config.deliveryAllowPrivateNetworks });
  }

  @RequireScope(Scope.ADMIN)
  @UseMiddleware(auditAdminAction('destination.update', { target: destinationTarget, details: destinationDetails }))
  @Mutation(() => Destination, { nullable: true, description: 'Changes the fields given; `paused: true` cancels its pending deliveries.' })
  updateDestination(
    @Arg('id', () => ID) id: string,
    @Arg('input', () => DestinationInput) input: DestinationInput,
    @Ctx() { db, services }: GraphQLContext,
  ): Promise<Destination> {
    return updateDestination(db, id, input, { allowPrivateNetworks: services.config.deliveryAllowPrivateNetworks });
  }

  @RequireScope(Scope.ADMIN)
  @UseMiddleware(auditAdminAction('destination.delete', { target: destinationTarget, details: destinationDetails }))
  @Mutation(() => Destination, {
    nullable: true,
    description: 'Deletes a destination and cancels its pending deliveries; its deliveries stay in the log.',
  })
  deleteDestination(@Arg('id', () => ID) id: string, @Ctx() { db }: GraphQLContext): Promise<Destination> {
    return deleteDestination(db, id);
  }

  @RequireScope(Scope.ADMIN)
  @Query(() => CsmContactConnection, { nullable: true, description: 'The CSM directory, by owner.' })
  csmContacts(@Args() args: PageArgs, @Ctx() { db }: GraphQLContext): Promise<ConnectionResult<CsmContact>> {
    return listCsmContacts(db, args);
  }

  // Audited by the service, which alone knows whether an entry was removed (see setCsmContact).
  @RequireScope(Scope.ADMIN)
  @Mutation(() => CsmContact, {
    nullable: true,
    description:
      'Sets where a CSM gets team alerts: the fields given, the others kept (null clears one); an entry left with neither email nor slackTarget is removed (null).',
  })
  setCsmContact(
    @Arg('input', () => CsmContactInput) input: CsmContactInput,
    @Ctx() { db, auth }: GraphQLContext,
  ): Promise<CsmContact | null> {
    return setCsmContact(db, input, { actor: actorOf(auth.principal), clientAddress: auth.clientAddress });
  }
}

/**
 * What an audited destination action acted on: its id as stored (the result), not as typed (`01`
 * and `1` name one destination).
 */
function destinationTarget(_args: Record<string, unknown>, result: unknown): string {
  return (result as Destination).id;
}

/** What an audited destination change did: as the delivery worker's pause records it (destinationAuditDetails). */
function destinationDetails(args: Record<string, unknown>, result: unknown): Record<string, unknown> {
  return destinationAuditDetails(args.input as DestinationInput | undefined, result as Destination);
}

@Resolver(() => Delivery)
export class DeliveryResolver {
  @RequireScope(Scope.READ)
  @FieldResolver(() => Destination, { description: 'Where it goes (deleted destinations included); batched per request.' })
  destination(@Root() row: DeliveryRow, @Ctx() { db, loaders }: GraphQLContext): Promise<Destination> {
    return loadDestination(db, loaders, row.destinationId);
  }

  @FieldResolver(() => String, {
    nullable: true,
    // As stored; a redaction's placeholders take no more bytes than the escapes the weight allows for.
    complexity: textOf(MAX_STORED_ERROR_LENGTH),
    description:
      "Why the last attempt failed. Without the admin scope, the hosts, addresses and receiver's answer in it are replaced by placeholders.",
  })
  lastError(@Root() row: DeliveryRow, @Ctx() { auth }: GraphQLContext): string | null {
    if (row.lastError === null || hasScope(auth.principal, Scope.ADMIN)) return row.lastError;
    return redactDeliveryError(row.lastError);
  }

  @RequireScope(Scope.ADMIN)
  @UseMiddleware(auditAdminAction('delivery.redeliver', { target: (_args, result) => (result as DeliveryRow).id }))
  @Mutation(() => Delivery, {
    nullable: true,
    description: 'Sends a delivery again now, whatever its status, with a fresh 24-hour retry window.',
  })
  redeliver(@Arg('deliveryId', () => ID) deliveryId: string, @Ctx() { db }: GraphQLContext): Promise<DeliveryRow> {
    return redeliver(db, deliveryId);
  }

  @RequireScope(Scope.READ)
  @Query(() => DeliverySummary, {
    nullable: true,
    description: 'Deliveries per status, in all and per destination, created in [from, to).',
  })
  async deliverySummary(@Args() args: DeliverySummaryArgs, @Ctx() { db }: GraphQLContext): Promise<DeliverySummary> {
    const rows = await countDeliveriesByStatus(db, args);
    const total = new Map<string, number>();
    const byDestination = new Map<string, Array<{ status: DeliveryStatus; count: number }>>();
    for (const row of rows) {
      total.set(row.status, (total.get(row.status) ?? 0) + row.count);
      const list = byDestination.get(row.destinationId) ?? [];
      list.push({ status: row.status as DeliveryStatus, count: row.count });
      byDestination.set(row.destinationId, list);
    }
    return {
      total: [...total].map(([status, count]) => ({ status: status as DeliveryStatus, count })),
      byDestination: [...byDestination].map(([destinationId, counts]) => ({ destinationId, counts })),
    };
  }
}

@Resolver(() => DestinationDeliveryCounts)
export class DestinationDeliveryCountsResolver {
  @RequireScope(Scope.READ)
  @FieldResolver(() => Destination)
  destination(@Root() row: DestinationDeliveryCounts, @Ctx() { db, loaders }: GraphQLContext): Promise<Destination> {
    return loadDestination(db, loaders, row.destinationId);
  }
}

/**
 * What an action's deliveries count for in the cost estimate (src/infra/field-cost.ts): one per
 * destination whose filters match the action, of at most MAX_DESTINATIONS; a team routes its alerts to
 * a few (a channel, an inbox, a CRM), and a tenth of the most lets a dashboard's page of 25 actions,
 * each with its deliveries, fit the cost limit.
 */
const EXPECTED_DELIVERIES_PER_ACTION = MAX_DESTINATIONS / 10;

@Resolver(() => OutreachAction)
export class OutreachDeliveriesResolver {
  @RequireScope(Scope.READ)
  @FieldResolver(() => [Delivery], {
    complexity: listOf(EXPECTED_DELIVERIES_PER_ACTION),
    description: 'Where this action was delivered, one per matching destination (at most 100); batched per request.',
  })
  deliveries(@Root() action: { id: string }, @Ctx() { db, loaders }: GraphQLContext): Promise<DeliveryRow[]> {
    return loadActionDeliveries(db, loaders, action.id);
  }
}

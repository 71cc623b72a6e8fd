// Thin resolver: GraphQL arguments in, service call, GraphQL shape out.
import { Arg, Args, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../infra/context';
import type { ConnectionResult } from '../infra/pagination';
import { getCustomer, listCustomers, setCommunicationOptOut, upsertCustomer } from './customer.service';
import { Customer, CustomerConnection, CustomerInput, CustomersArgs } from './customer.types';

@Resolver(() => Customer)
export class CustomerResolver {
  @Query(() => Customer, { description: 'One customer by its id; NOT_FOUND when unknown.' })
  customer(@Arg('id', () => ID) id: string, @Ctx() { db, loaders }: GraphQLContext): Promise<Customer> {
    return getCustomer(db, loaders, id);
  }

  @Query(() => CustomerConnection)
  customers(@Args() args: CustomersArgs, @Ctx() { db }: GraphQLContext): Promise<ConnectionResult<Customer>> {
    return listCustomers(db, args);
  }

  @Mutation(() => Customer)
  upsertCustomer(@Arg('input', () => CustomerInput) input: CustomerInput, @Ctx() { db }: GraphQLContext): Promise<Customer> {
    return upsertCustomer(db, input);
  }

  @Mutation(() => Customer)
  setCommunicationOptOut(
    @Arg('customerId', () => ID) customerId: string,
    @Arg('optedOut') optedOut: boolean,
    @Ctx() { db }: GraphQLContext,
  ): Promise<Customer> {
    return setCommunicationOptOut(db, customerId, optedOut);
  }
}

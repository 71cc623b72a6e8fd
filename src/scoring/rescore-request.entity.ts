// A customer whose signals changed since it was last scored: the queue continuous scoring drains.
// Its own table, not a column on `customer`, so ingestion never writes (nor waits for) the customer
// row that a scoring batch holds locked while it computes.
import { Entity, Index, OneToOne, Property } from '@mikro-orm/core';
import { Customer } from '../customers/customer.entity';

@Entity({ tableName: 'rescore_request' })
@Index({ name: 'rescore_request_requested_at_idx', properties: ['requestedAt'] })
export class RescoreRequest {
  @OneToOne(() => Customer, { primary: true, owner: true, deleteRule: 'cascade', fieldName: 'customer_id' })
  customer!: Customer;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  requestedAt!: Date;
}

// GraphQL shapes of destinations, deliveries, their counts and the CSM directory.
import { ArgsType, Extensions, Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Scope } from '../auth/scopes';
import { textOf } from '../infra/field-cost';
import { MAX_TEXT_LENGTH } from '../infra/input';
import { Connection } from '../infra/pagination';
import { DateTimeScalar, DateTimeValue } from '../infra/scalars';
import { OutreachAudience } from '../outreach/outreach.types';

export enum DestinationKind {
  WEBHOOK = 'WEBHOOK',
  SLACK = 'SLACK',
  EMAIL = 'EMAIL',
}
registerEnumType(DestinationKind, {
  name: 'DestinationKind',
  description: 'Where a destination delivers.',
  valuesConfig: {
    WEBHOOK: { description: 'An HTTPS endpoint of yours, signed per Standard Webhooks (`url`, `signingSecret`).' },
    SLACK: { description: 'A Slack incoming webhook (`url`): a message with blocks per action.' },
    EMAIL: { description: "Email over SMTP_URL: customer-facing actions to the customer's contactEmail, team alerts to the CSM." },
  },
});

/** Characters of an email subject template (its text and HTML templates take MAX_TEXT_LENGTH). */
export const MAX_SUBJECT_TEMPLATE_LENGTH = 1_000;

export enum DeliveryStatus {
  PENDING = 'PENDING',
  RETRYING = 'RETRYING',
  DELIVERED = 'DELIVERED',
  DEAD = 'DEAD',
  CANCELLED = 'CANCELLED',
  SKIPPED_WEEKLY_CAP = 'SKIPPED_WEEKLY_CAP',
}
registerEnumType(DeliveryStatus, {
  name: 'DeliveryStatus',
  description: 'Where a delivery of an action to a destination stands.',
  valuesConfig: {
    PENDING: { description: 'Queued (or waiting for its digest), not yet attempted.' },
    RETRYING: { description: 'An attempt failed; the next one is at `nextAttemptAt`.' },
    DELIVERED: { description: 'The destination accepted it (HTTP 2xx, or the SMTP server took the message).' },
    DEAD: {
      description:
        'Retries for 24 hours (DELIVERY_RETRY_WINDOW_MS) all failed, the receiver refused it for good (HTTP 410 Gone, which pauses the destination; an SMTP 5xx for its recipient or content), or there is no one to send it to; `redeliver` sends it again.',
    },
    CANCELLED: {
      description:
        'Not sent: its destination was paused or deleted before it was sent, or was paused when its action was decided (redeliver sends it once resumed).',
    },
    SKIPPED_WEEKLY_CAP: {
      description: 'Not sent: the customer already got CUSTOMER_MESSAGES_PER_WEEK customer-facing messages in the last 7 days.',
    },
  },
});

@ObjectType({ description: 'The actions a destination receives; a null field matches every action.' })
export class DestinationFilter {
  @Field(() => OutreachAudience, { nullable: true })
  audience!: OutreachAudience | null;

  @Field(() => [String], { nullable: true, description: 'Playbook keys, e.g. `critical`, `silence`, `expansion`.' })
  playbooks!: string[] | null;

  @Field(() => [String], { nullable: true, description: 'Tier keys the action was decided in (its `toTier`).' })
  tiers!: string[] | null;

  @Field(() => String, { nullable: true, description: "Only this CSM owner's accounts." })
  csmOwner!: string | null;
}

/**
 * A destination's configuration (where it sends, with which secret, to whom, what) is an admin's:
 * a read key sees its name, kind and state through the delivery log and summary, not its addresses.
 * Checked on the whole operation before it runs (auth/operation-scopes.ts).
 */
const AdminOnly = Extensions({ requiredScopes: [Scope.ADMIN] });

/** What the email template fields say of customer-facing emails (see templateFor in delivery-messages.ts). */
const CUSTOMER_TEMPLATES =
  'A customer-facing email uses it only if it has no placeholder but {{customerName}}, {{message}} and {{unsubscribeUrl}}, else the built-in one.';

@ObjectType({ description: 'Where outreach is delivered. Secrets are answered masked; the configuration needs the admin scope.' })
export class Destination {
  @Field(() => ID)
  id!: string;

  @Field(() => DestinationKind)
  kind!: DestinationKind;

  @Field()
  name!: string;

  @AdminOnly
  @Field(() => String, { nullable: true, description: 'WEBHOOK and SLACK: the URL, masked (scheme, host and the last 4 characters).' })
  url!: string | null;

  @AdminOnly
  @Field(() => String, { nullable: true, description: 'WEBHOOK: the signing secret, masked (`whsec_…` and the last 4 characters).' })
  signingSecret!: string | null;

  @AdminOnly
  @Field(() => String, { nullable: true })
  emailFrom!: string | null;

  @AdminOnly
  @Field(() => String, {
    nullable: true,
    description: "EMAIL: team alerts go here when the CSM directory has no address for the account's owner.",
  })
  emailTo!: string | null;

  @AdminOnly
  @Field(() => String, {
    nullable: true,
    complexity: textOf(MAX_SUBJECT_TEMPLATE_LENGTH),
    description: `EMAIL: subject template; null uses the built-in one. ${CUSTOMER_TEMPLATES}`,
  })
  emailSubjectTemplate!: string | null;

  @AdminOnly
  @Field(() => String, {
    nullable: true,
    complexity: textOf(MAX_TEXT_LENGTH),
    description: `EMAIL: plain-text template; null uses the built-in one. ${CUSTOMER_TEMPLATES}`,
  })
  emailTextTemplate!: string | null;

  @AdminOnly
  @Field(() => String, {
    nullable: true,
    complexity: textOf(MAX_TEXT_LENGTH),
    description: `EMAIL: HTML template (values are HTML-escaped); null uses the built-in one. ${CUSTOMER_TEMPLATES}`,
  })
  emailHtmlTemplate!: string | null;

  @AdminOnly
  @Field(() => DestinationFilter)
  filter!: DestinationFilter;

  @AdminOnly
  @Field(() => Int, {
    nullable: true,
    description: 'Matching actions are collected into one message per CSM every this many seconds; null sends each at once.',
  })
  digestSeconds!: number | null;

  @Field({
    description:
      'A paused destination receives nothing; its pending deliveries were cancelled. Paused by an admin, or by its receiver answering HTTP 410 Gone.',
  })
  paused!: boolean;

  @Field(() => DateTimeScalar, {
    nullable: true,
    description:
      'When the destination was deleted (deleteDestination); null while it exists. A deleted one receives nothing and cannot be resumed; it is seen only through the deliveries it had.',
  })
  deletedAt!: DateTimeValue | null;

  @Field(() => DateTimeScalar)
  createdAt!: DateTimeValue;

  @Field(() => DateTimeScalar)
  updatedAt!: DateTimeValue;
}

export const DestinationConnection = Connection(Destination);

@InputType({ description: "A destination's filter; a missing or null field matches every action." })
export class DestinationFilterInput {
  @Field(() => OutreachAudience, { nullable: true })
  audience?: OutreachAudience | null;

  @Field(() => [String], { nullable: true, description: 'At most 50 playbook keys.' })
  playbooks?: string[] | null;

  @Field(() => [String], { nullable: true, description: 'At most 50 tier keys.' })
  tiers?: string[] | null;

  @Field(() => String, { nullable: true })
  csmOwner?: string | null;
}

@InputType({ description: 'A new destination, or (update) the fields to change: a field left out keeps its value, null clears it.' })
export class DestinationInput {
  @Field(() => DestinationKind, { nullable: true, description: 'Required to create; cannot be changed.' })
  kind?: DestinationKind | null;

  @Field(() => String, { nullable: true, description: 'Required to create; at most 200 characters.' })
  name?: string | null;

  @Field(() => String, { nullable: true, description: 'WEBHOOK, SLACK (required): an http(s) URL, at most 2,000 characters.' })
  url?: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'WEBHOOK (required): `whsec_` and the base64 of 24 to 64 random bytes (`echo whsec_$(openssl rand -base64 32)`).',
  })
  signingSecret?: string | null;

  @Field(() => String, {
    nullable: true,
    description:
      'EMAIL (required): the sender, an address (`alerts@example.com`) or a name and one (`healthgraph alerts <alerts@example.com>`).',
  })
  emailFrom?: string | null;

  @Field(() => String, { nullable: true })
  emailTo?: string | null;

  @Field(() => String, { nullable: true, description: 'At most 1,000 characters; `{{placeholders}}` as in README "Delivering alerts".' })
  emailSubjectTemplate?: string | null;

  @Field(() => String, { nullable: true, description: 'At most 10,000 characters.' })
  emailTextTemplate?: string | null;

  @Field(() => String, { nullable: true, description: 'At most 10,000 characters.' })
  emailHtmlTemplate?: string | null;

  @Field(() => DestinationFilterInput, { nullable: true })
  filter?: DestinationFilterInput | null;

  @Field(() => Int, {
    nullable: true,
    description:
      '1 to 604,800 (a week; 86,400 for a daily digest), or null for no digest. EMAIL digests take team alerts only (filter audience TEAM).',
  })
  digestSeconds?: number | null;

  @Field(() => Boolean, { nullable: true, description: "Pausing cancels the destination's pending deliveries." })
  paused?: boolean | null;
}

@ObjectType({ description: 'One outreach action on its way to one destination.' })
export class Delivery {
  @Field(() => ID, { description: 'Stable across attempts: the Standard Webhooks `webhook-id` of a message of its own.' })
  id!: string;

  @Field(() => ID)
  actionId!: string;

  destinationId!: string;

  @Field(() => DeliveryStatus)
  status!: DeliveryStatus;

  @Field(() => Int)
  attempts!: number;

  /** Resolved by DeliveryResolver.lastError, which redacts it for keys without the admin scope. */
  lastError!: string | null;

  @Field(() => DateTimeScalar)
  createdAt!: DateTimeValue;

  @Field(() => DateTimeScalar, { nullable: true })
  lastAttemptAt!: DateTimeValue | null;

  @Field(() => DateTimeScalar, { nullable: true })
  nextAttemptAt!: DateTimeValue | null;

  @Field(() => DateTimeScalar, {
    nullable: true,
    description: 'When the receiver accepted the message: set while the delivery is DELIVERED, null otherwise (a redeliver clears it).',
  })
  deliveredAt!: DateTimeValue | null;
}

@ObjectType()
export class DeliveryStatusCount {
  @Field(() => DeliveryStatus)
  status!: DeliveryStatus;

  @Field(() => Int)
  count!: number;
}

@ObjectType()
export class DestinationDeliveryCounts {
  destinationId!: string;

  @Field(() => [DeliveryStatusCount], { description: 'Only statuses with at least one delivery.' })
  counts!: DeliveryStatusCount[];
}

@ObjectType({ description: 'Deliveries per status, in all and per destination (deleted destinations included).' })
export class DeliverySummary {
  @Field(() => [DeliveryStatusCount])
  total!: DeliveryStatusCount[];

  @Field(() => [DestinationDeliveryCounts], {
    description: 'At most 100 destinations exist at a time; deleted ones with deliveries are listed too.',
  })
  byDestination!: DestinationDeliveryCounts[];
}

@ArgsType()
export class DeliverySummaryArgs {
  @Field(() => DateTimeScalar, { nullable: true, description: "Inclusive lower bound on the delivery's createdAt." })
  from?: Date | null;

  @Field(() => DateTimeScalar, { nullable: true, description: 'Exclusive upper bound.' })
  to?: Date | null;
}

@ObjectType({ description: 'Where a CSM gets team alerts.' })
export class CsmContact {
  @Field({ description: 'The `csmOwner` of their accounts.' })
  owner!: string;

  @Field(() => String, { nullable: true })
  email!: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'Slack user id (`U024BE7LH`, mentioned), channel id (`C…`) or any text such as `@kate`.',
  })
  slackTarget!: string | null;

  @Field(() => DateTimeScalar)
  updatedAt!: DateTimeValue;
}

export const CsmContactConnection = Connection(CsmContact);

@InputType({ description: 'A field left out keeps what the entry has; null (or blank) clears it.' })
export class CsmContactInput {
  @Field({ description: 'At most 200 characters.' })
  owner!: string;

  @Field(() => String, { nullable: true, description: 'Left out: kept; null: cleared.' })
  email?: string | null;

  @Field(() => String, { nullable: true, description: 'At most 200 characters. Left out: kept; null: cleared.' })
  slackTarget?: string | null;
}

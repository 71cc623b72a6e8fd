// GraphQL shapes of the outreach log: one row per playbook action, with its audience and status.
import { ArgsType, Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { PageArgs } from '../customers/customer.types';
import { textOf } from '../infra/field-cost';
import { Connection } from '../infra/pagination';
import { DateTimeScalar, DateTimeValue } from '../infra/scalars';
import { DeliveryStatus } from '../delivery/delivery.types';
import { OutreachAudience, OutreachStatus } from '../scoring/model/types';

// The outreach enums are the scoring model's (model/types.ts), registered here for the graph.
export { OutreachAudience, OutreachStatus };

/**
 * The longest message stored: a rendered template is cut to it. Its placeholders expand after the
 * template's own length is checked, so a template of names could otherwise render to hundreds of
 * times its length, and a page of messages answer many times what its estimate said.
 */
export const MAX_MESSAGE_LENGTH = 2000;

/**
 * The graph's OutreachStatus: the model's statuses, plus LOGGED, DECIDED's name before deliveries
 * existed. A client written to the old name keeps filtering with it (storedOutreachStatus reads it
 * as DECIDED); no action is ever answered LOGGED, as no row holds it.
 */
export const OutreachStatusValue = { ...OutreachStatus, LOGGED: 'LOGGED' } as const;
export type OutreachStatusValue = (typeof OutreachStatusValue)[keyof typeof OutreachStatusValue];

registerEnumType(OutreachStatusValue, {
  name: 'OutreachStatus',
  description: 'What became of a playbook action.',
  valuesConfig: {
    DECIDED: {
      description:
        'The playbook decided on the action; whether it reached anyone is in `deliveries` (was LOGGED before deliveries existed).',
    },
    SKIPPED_OPT_OUT: { description: 'Customer-facing action not sent: the customer opted out of communication.' },
    SUPPRESSED_COOLDOWN: { description: 'Not taken: the same playbook ran for this customer within its cooldown.' },
    SUPPRESSED_DUPLICATE: {
      description:
        'Not taken: another playbook decided the same action (name, audience and channel) in the same scoring of this customer. Starts its playbook’s cooldown.',
    },
    LOGGED: {
      description: "DECIDED's former name, accepted as a filter meaning DECIDED; never answered.",
      deprecationReason: 'Use DECIDED',
    },
  },
});

registerEnumType(OutreachAudience, {
  name: 'OutreachAudience',
  description: 'Whom a playbook action is for.',
  valuesConfig: {
    CUSTOMER: { description: 'Reaches the customer (email, in-app).' },
    TEAM: { description: 'Reaches the customer-success team (alert, task, escalation).' },
  },
});

@ObjectType({ simpleResolvers: true, description: 'One playbook action in the proactive outreach log.' })
export class OutreachAction {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  customerId!: string;

  @Field({ description: 'Key of the playbook that ran.' })
  playbook!: string;

  @Field({ description: 'e.g. check_in_email, success_resources, csm_alert, escalation_flag.' })
  action!: string;

  @Field(() => OutreachAudience)
  audience!: OutreachAudience;

  @Field({ description: 'EMAIL, IN_APP, SLACK or CRM_TASK.' })
  channel!: string;

  @Field({ description: 'What fired the playbook: TIER_WORSENED, SCORE_DROP, CRITICAL, AT_RISK_DECLINING, SILENCE, EXPANSION.' })
  trigger!: string;

  @Field(() => String, { nullable: true })
  fromTier!: string | null;

  @Field(() => String, { nullable: true })
  toTier!: string | null;

  @Field(() => Int, { nullable: true, description: 'The health score that fired the playbook.' })
  score!: number | null;

  @Field(() => OutreachStatusValue)
  status!: OutreachStatus;

  @Field({ description: "True for a high-value account's escalation." })
  escalation!: boolean;

  @Field(() => String, {
    nullable: true,
    complexity: textOf(MAX_MESSAGE_LENGTH),
    description: `The rendered message, cut to ${MAX_MESSAGE_LENGTH} characters.`,
  })
  message!: string | null;

  @Field(() => DateTimeScalar)
  createdAt!: DateTimeValue;
}

export const OutreachActionConnection = Connection(OutreachAction);

@ArgsType()
export class OutreachLogArgs extends PageArgs {
  @Field(() => ID, { nullable: true, description: "Only this customer's; NOT_FOUND for an unknown customer." })
  customerId?: string | null;

  @Field(() => OutreachStatusValue, { nullable: true })
  status?: OutreachStatusValue | null;

  @Field(() => OutreachAudience, { nullable: true })
  audience?: OutreachAudience | null;

  @Field(() => DeliveryStatus, { nullable: true, description: 'Actions with at least one delivery in this status.' })
  deliveryStatus?: DeliveryStatus | null;

  @Field(() => String, {
    nullable: true,
    description: 'The playbook key, e.g. `critical`, `silence`, `expansion` (trimmed); blank is no filter.',
  })
  playbook?: string | null;

  @Field(() => String, {
    nullable: true,
    description: "Exactly this CSM owner's accounts (trimmed); blank is no filter: everyone's, as in every list.",
  })
  csmOwner?: string | null;

  @Field(() => DateTimeScalar, { nullable: true, description: 'Inclusive lower bound on createdAt.' })
  from?: Date | null;

  @Field(() => DateTimeScalar, { nullable: true, description: 'Exclusive upper bound on createdAt.' })
  to?: Date | null;
}

@ArgsType()
export class CustomerOutreachArgs extends PageArgs {
  @Field(() => OutreachStatusValue, { nullable: true })
  status?: OutreachStatusValue | null;
}

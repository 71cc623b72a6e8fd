// GraphQL shapes of the audit log.
import { ArgsType, Field, ID, ObjectType } from 'type-graphql';
import { PageArgs } from '../customers/customer.types';
import { Connection } from '../infra/pagination';
import { DateTimeScalar, JSONScalar, DateTimeValue } from '../infra/scalars';

@ObjectType({ simpleResolvers: true, description: 'One admin action.' })
export class AuditLogEntry {
  @Field(() => ID)
  id!: string;

  @Field(() => DateTimeScalar)
  at!: DateTimeValue;

  @Field({
    description:
      'The API key id that acted, `loopback` (a local client while no key existed), `cli` (`npm run keys`) or `unsubscribe-link` (a customer who used the one-click link of an email).',
  })
  actor!: string;

  @Field({
    description:
      'apiKey.create, apiKey.revoke, customer.optOut, scoringModel.update, healthScore.refresh, scoring.fullRun, ' +
      'scoringModel.backtest, scoringModel.suggest, scoringModel.preview.',
  })
  action!: string;

  @Field(() => String, { nullable: true, description: 'What it acted on: a customer id, key id, model version or run id.' })
  target!: string | null;

  @Field(() => JSONScalar, { nullable: true })
  details!: Record<string, unknown> | null;

  @Field(() => String, { nullable: true, description: "The client address the server saw (a proxy's, behind one)." })
  clientAddress!: string | null;
}

export const AuditLogConnection = Connection(AuditLogEntry);

@ArgsType()
export class AuditLogArgs extends PageArgs {
  @Field(() => String, { nullable: true })
  action?: string | null;

  @Field(() => String, { nullable: true, description: 'A key id, `loopback` or `cli`.' })
  actor?: string | null;
}

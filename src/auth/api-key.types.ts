// GraphQL shapes of API keys: the key as listed (never its secret), the one-time creation result,
// and the creation input.
import { Field, ID, InputType, ObjectType } from 'type-graphql';
import { Connection } from '../infra/pagination';
import { DateTimeScalar, DateTimeValue } from '../infra/scalars';
import { Scope } from './scopes';

@ObjectType({ simpleResolvers: true, description: 'An API key, as listed: its secret is shown only once, by createApiKey.' })
export class ApiKey {
  @Field(() => ID, { description: 'The public part of the key, as in `hg_<id>_<secret>`; what the audit log names.' })
  id!: string;

  @Field({ description: '`hg_<id>`: how the key starts, to recognise it.' })
  prefix!: string;

  @Field()
  name!: string;

  @Field(() => [Scope])
  scopes!: Scope[];

  @Field(() => DateTimeScalar)
  createdAt!: DateTimeValue;

  @Field({ description: 'Who created it: a key id, `loopback` or `cli`.' })
  createdBy!: string;

  @Field(() => DateTimeScalar, { nullable: true, description: 'Last authenticated use, to the minute.' })
  lastUsedAt!: DateTimeValue | null;

  @Field(() => DateTimeScalar, { nullable: true })
  revokedAt!: DateTimeValue | null;
}

export const ApiKeyConnection = Connection(ApiKey);

@ObjectType({ simpleResolvers: true })
export class CreatedApiKey {
  @Field(() => ApiKey)
  apiKey!: ApiKey;

  @Field({ description: 'The key to send as `Authorization: Bearer <key>`. Shown this once: only its hash is stored.' })
  key!: string;
}

@InputType()
export class CreateApiKeyInput {
  @Field({ description: 'What the key is for, e.g. `ci` or `dashboard`.' })
  name!: string;

  @Field(() => [Scope])
  scopes!: Scope[];
}

@ObjectType({ simpleResolvers: true, description: 'Who is calling: what a client (the dashboard) may show and offer.' })
export class Viewer {
  @Field(() => String, { nullable: true, description: "The key's name; null for a local session without keys." })
  keyName!: string | null;

  @Field(() => [Scope], { description: 'What the caller may do; `ADMIN` implies the others.' })
  scopes!: Scope[];
}

// What an API key may do. Three scopes, checked by type-graphql's @Authorized (auth-checker.ts):
//   read    queries and subscriptions;
//   ingest  the signal mutations (customers, events, NPS answers, payments, tickets);
//   admin   everything, including what neither of the others grants (model, opt-outs, scoring runs,
//           keys, the audit log and the model-evaluation queries).
// `admin` implies the other two; `ingest` does not imply `read`: a pipeline that pushes signals
// should not be able to read the customer base back if its key leaks. A key may carry several scopes.
import { registerEnumType } from 'type-graphql';

export enum Scope {
  READ = 'read',
  INGEST = 'ingest',
  ADMIN = 'admin',
}
registerEnumType(Scope, {
  name: 'ApiKeyScope',
  description: 'What an API key may do; `ADMIN` implies the others, `INGEST` does not imply `READ`.',
  valuesConfig: {
    READ: { description: 'Queries and subscriptions.' },
    INGEST: {
      description:
        'The signal mutations: upsertCustomer (without opt-out changes), trackEngagement, trackEngagementBatch, submitNpsResponse, recordPayment, recordSupportTicket.',
    },
    ADMIN: { description: 'Everything: model changes, opt-outs, scoring runs, keys, the audit log, backtests.' },
  },
});

export const ALL_SCOPES: readonly Scope[] = [Scope.READ, Scope.INGEST, Scope.ADMIN];

/** True when a holder of `held` may use something that requires `required`. */
export function grants(held: readonly Scope[], required: Scope): boolean {
  return held.includes(Scope.ADMIN) || held.includes(required);
}

/** Scopes from their names (`read`, `INGEST`…); throws on an unknown one or an empty list. */
export function parseScopes(names: readonly string[]): Scope[] {
  const scopes = new Set<Scope>();
  for (const name of names) {
    const scope = ALL_SCOPES.find((candidate) => candidate === name.trim().toLowerCase());
    if (!scope) throw new TypeError(`unknown scope "${name}"; one of ${ALL_SCOPES.join(', ')}`);
    scopes.add(scope);
  }
  if (scopes.size === 0) throw new TypeError(`give at least one scope: ${ALL_SCOPES.join(', ')}`);
  return ALL_SCOPES.filter((scope) => scopes.has(scope));
}

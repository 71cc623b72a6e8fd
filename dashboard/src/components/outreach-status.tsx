// The status of an outreach action: what the playbook decided, then where each delivery of it stands
// (delivered, retrying, dead…), per destination. Every screen that lists actions (customer page,
// outreach log) renders it through this component.
import { graphql } from '../gql';
import { countOf, humanise } from '../format';
import type { OutreachStatusFieldsFragment } from '../gql/graphql';

export const OutreachStatusFields = graphql(`
  fragment OutreachStatusFields on OutreachAction {
    status
    deliveries {
      id
      status
      attempts
      lastError
      destination {
        name
      }
    }
  }
`);

const STATUS_LABELS: Readonly<Record<string, string>> = {
  DECIDED: 'decided',
  SKIPPED_OPT_OUT: 'skipped: opted out',
  SUPPRESSED_COOLDOWN: 'suppressed: cooldown',
  SUPPRESSED_DUPLICATE: 'suppressed: decided by another playbook',
};

export function OutreachStatus({ action }: { action: OutreachStatusFieldsFragment }) {
  const label = STATUS_LABELS[action.status] ?? humanise(action.status);
  return (
    <span>
      <span class={`status status-${action.status.toLowerCase()}`}>{label}</span>
      {action.deliveries.map((delivery) => (
        <span
          key={delivery.id}
          class={`status delivery-${delivery.status.toLowerCase()}`}
          title={delivery.lastError ?? countOf(delivery.attempts, 'attempt')}
        >
          {' '}
          <bdi>{delivery.destination.name}</bdi>: {humanise(delivery.status)}
        </span>
      ))}
    </span>
  );
}

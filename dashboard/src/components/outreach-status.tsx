// The status of an outreach action. Delivery (sent, bounced, retried…) is being added to the graph
// on its own branch: when OutreachAction gains it, extend OutreachStatusFields and render it here,
// and every screen that lists actions (customer page, outreach log) shows it.
import { graphql } from '../gql';
import type { OutreachStatusFieldsFragment } from '../gql/graphql';

export const OutreachStatusFields = graphql(`
  fragment OutreachStatusFields on OutreachAction {
    status
  }
`);

const STATUS_LABELS: Readonly<Record<string, string>> = {
  LOGGED: 'logged',
  SKIPPED_OPT_OUT: 'skipped: opted out',
  SUPPRESSED_COOLDOWN: 'suppressed: cooldown',
};

export function OutreachStatus({ action }: { action: OutreachStatusFieldsFragment }) {
  const label = STATUS_LABELS[action.status] ?? action.status.toLowerCase().replace(/_/g, ' ');
  return <span class={`status status-${action.status.toLowerCase()}`}>{label}</span>;
}

// The customer's own records under the score: NPS answers, payments, tickets and outreach actions,
// each list paged on the server on its own.
import { OutreachStatus } from '../components/outreach-status';
import { RecordTable } from '../components/record-table';
import { formatAmount, formatDateTime, formatNumber, humanise } from '../format';
import { graphql } from '../gql';
import { usePagedQuery } from '../paged-query';
import { HEAVY_WALK_ROWS } from '../walk-rows';

const PAGE_SIZE = 10;

const NpsQuery = graphql(`
  query CustomerNps($id: ID!, $first: Int!, $after: String) {
    customer(id: $id) {
      npsResponses(first: $first, after: $after) {
        totalCount
        pageInfo {
          hasNextPage
          endCursor
        }
        edges {
          node {
            id
            respondedAt
            score
            respondent
            comment
          }
        }
      }
    }
  }
`);

const PaymentsQuery = graphql(`
  query CustomerPayments($id: ID!, $first: Int!, $after: String) {
    customer(id: $id) {
      payments(first: $first, after: $after) {
        totalCount
        pageInfo {
          hasNextPage
          endCursor
        }
        edges {
          node {
            id
            occurredAt
            amountCents
            currency
            status
            dueAt
            paidAt
          }
        }
      }
    }
  }
`);

const TicketsQuery = graphql(`
  query CustomerTickets($id: ID!, $first: Int!, $after: String) {
    customer(id: $id) {
      supportTickets(first: $first, after: $after) {
        totalCount
        pageInfo {
          hasNextPage
          endCursor
        }
        edges {
          node {
            id
            externalId
            openedAt
            resolvedAt
            severity
            status
            subject
            csatRating
          }
        }
      }
    }
  }
`);

const OutreachQuery = graphql(`
  query CustomerOutreach($id: ID!, $first: Int!, $after: String) {
    customer(id: $id) {
      outreach(first: $first, after: $after) {
        totalCount
        pageInfo {
          hasNextPage
          endCursor
        }
        edges {
          node {
            id
            createdAt
            playbook
            trigger
            action
            audience
            channel
            ...OutreachStatusFields
          }
        }
      }
    }
  }
`);

export function CustomerRecords({ customerId }: { customerId: string }) {
  return (
    <div class="record-grid">
      <NpsAnswers customerId={customerId} />
      <Payments customerId={customerId} />
      <Tickets customerId={customerId} />
      <Outreach customerId={customerId} />
    </div>
  );
}

function NpsAnswers({ customerId }: { customerId: string }) {
  const paged = usePagedQuery(NpsQuery, { id: customerId, first: PAGE_SIZE }, (data) => data.customer?.npsResponses, {
    customerId,
    walkRows: HEAVY_WALK_ROWS,
  });
  return (
    <RecordTable
      title="NPS answers"
      testId="nps-answers"
      {...paged}
      pageSize={PAGE_SIZE}
      columns={[
        { header: 'When', cell: (row) => formatDateTime(row.respondedAt) },
        { header: 'Score', cell: (row) => row.score, numeric: true },
        { header: 'Who', cell: (row) => (row.respondent ? <bdi>{row.respondent}</bdi> : '—'), wraps: true },
        { header: 'Comment', cell: (row) => row.comment && <bdi>{row.comment}</bdi>, wraps: true },
      ]}
    />
  );
}

function Payments({ customerId }: { customerId: string }) {
  const paged = usePagedQuery(PaymentsQuery, { id: customerId, first: PAGE_SIZE }, (data) => data.customer?.payments, { customerId });
  return (
    <RecordTable
      title="Payments"
      testId="payments"
      {...paged}
      pageSize={PAGE_SIZE}
      columns={[
        { header: 'When', cell: (row) => formatDateTime(row.occurredAt) },
        { header: 'Amount', cell: (row) => formatAmount(row.amountCents, row.currency), numeric: true },
        { header: 'Status', cell: (row) => humanise(row.status) },
        { header: 'Due', cell: (row) => formatDateTime(row.dueAt) },
      ]}
    />
  );
}

function Tickets({ customerId }: { customerId: string }) {
  const paged = usePagedQuery(TicketsQuery, { id: customerId, first: PAGE_SIZE }, (data) => data.customer?.supportTickets, { customerId });
  return (
    <RecordTable
      title="Support tickets"
      testId="tickets"
      {...paged}
      pageSize={PAGE_SIZE}
      columns={[
        { header: 'Opened', cell: (row) => formatDateTime(row.openedAt) },
        {
          header: 'Ticket',
          cell: (row) => (
            <>
              <bdi>{row.externalId}</bdi>
              {row.subject && (
                <>
                  {' · '}
                  <bdi>{row.subject}</bdi>
                </>
              )}
            </>
          ),
          wraps: true,
        },
        { header: 'Severity', cell: (row) => humanise(row.severity) },
        { header: 'Status', cell: (row) => humanise(row.status) },
        { header: 'CSAT', cell: (row) => formatNumber(row.csatRating), numeric: true },
      ]}
    />
  );
}

function Outreach({ customerId }: { customerId: string }) {
  const paged = usePagedQuery(OutreachQuery, { id: customerId, first: PAGE_SIZE }, (data) => data.customer?.outreach, {
    customerId,
    walkRows: HEAVY_WALK_ROWS,
  });
  return (
    <RecordTable
      title="Outreach"
      testId="customer-outreach"
      {...paged}
      pageSize={PAGE_SIZE}
      columns={[
        { header: 'When', cell: (row) => formatDateTime(row.createdAt) },
        { header: 'Playbook', cell: (row) => `${row.playbook} (${humanise(row.trigger)})` },
        { header: 'Action', cell: (row) => `${humanise(row.action)} · ${row.channel.toLowerCase()} · ${row.audience.toLowerCase()}` },
        { header: 'Status', cell: (row) => <OutreachStatus action={row} /> },
      ]}
    />
  );
}

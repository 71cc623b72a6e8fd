// Outreach log: every action the playbooks took, newest first, filtered by playbook, audience,
// status and time, paged on the server; the page and the filters are kept in the link.
import { OutreachStatus } from '../components/outreach-status';
import { RecordTable } from '../components/record-table';
import { ScreenHeading } from '../components/screen-heading';
import { formatDateTime, humanise } from '../format';
import { graphql } from '../gql';
import type { OutreachAudience, OutreachStatus as Status } from '../gql/graphql';
import { usePagedQuery } from '../paged-query';
import { customerHref, linkedDay, useLinkedPage, useListState } from '../router';

const OutreachLogQuery = graphql(`
  query OutreachLog(
    $first: Int!
    $after: String
    $playbook: String
    $audience: OutreachAudience
    $status: OutreachStatus
    $from: DateTime
    $to: DateTime
  ) {
    outreachLog(first: $first, after: $after, playbook: $playbook, audience: $audience, status: $status, from: $from, to: $to) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        node {
          id
          createdAt
          customerId
          customer {
            name
          }
          playbook
          trigger
          action
          audience
          channel
          score
          escalation
          ...OutreachStatusFields
        }
      }
    }
  }
`);

const PAGE_SIZE = 25;
const AUDIENCES: OutreachAudience[] = ['CUSTOMER', 'TEAM'];
const STATUSES: Status[] = ['DECIDED', 'SKIPPED_OPT_OUT', 'SUPPRESSED_COOLDOWN', 'SUPPRESSED_DUPLICATE'];

/** A date input's day (local midnight) as an instant; `endOfDay` for the exclusive upper bound. */
function dayBound(value: string, endOfDay: boolean): string | null {
  if (!value) return null;
  const day = new Date(`${value}T00:00:00`);
  if (endOfDay) day.setDate(day.getDate() + 1);
  return day.toISOString();
}

/** A choice named in a link, if it is one of `choices`. */
function choiceOf<Choice extends string>(choices: readonly Choice[], text: string | undefined): Choice | null {
  return choices.find((choice) => choice === text) ?? null;
}

export function OutreachScreen() {
  const [link, changeLink] = useListState();
  const filters = {
    playbook: link.playbook ?? '',
    audience: choiceOf(AUDIENCES, link.audience),
    status: choiceOf(STATUSES, link.status),
    from: linkedDay(link.from),
    to: linkedDay(link.to),
  };
  // A new filter starts again at the first page.
  const setFilter = (name: keyof typeof filters, value: string) => changeLink({ [name]: value, page: '' });
  const position = useLinkedPage(link, changeLink);
  const { connection, pages, error, fetching } = usePagedQuery(
    OutreachLogQuery,
    {
      first: PAGE_SIZE,
      playbook: filters.playbook.trim() || null,
      audience: filters.audience,
      status: filters.status,
      from: dayBound(filters.from, false),
      to: dayBound(filters.to, true),
    },
    (data) => data.outreachLog,
    { position },
  );
  return (
    <section aria-labelledby="outreach-title">
      <ScreenHeading id="outreach-title" title="Outreach log" />
      <form class="filters" onSubmit={(event) => event.preventDefault()}>
        <label>
          Playbook
          <input
            type="search"
            value={filters.playbook}
            onChange={(event) => setFilter('playbook', event.currentTarget.value)}
            placeholder="any, e.g. critical"
          />
        </label>
        <label>
          Audience
          <select value={filters.audience ?? ''} onChange={(event) => setFilter('audience', event.currentTarget.value)}>
            <option value="">any</option>
            {AUDIENCES.map((audience) => (
              <option key={audience} value={audience}>
                {humanise(audience)}
              </option>
            ))}
          </select>
        </label>
        <label>
          Status
          <select value={filters.status ?? ''} onChange={(event) => setFilter('status', event.currentTarget.value)}>
            <option value="">any</option>
            {STATUSES.map((status) => (
              <option key={status} value={status}>
                {humanise(status)}
              </option>
            ))}
          </select>
        </label>
        <label>
          From
          <input type="date" value={filters.from} onChange={(event) => setFilter('from', event.currentTarget.value)} />
        </label>
        <label>
          To
          <input type="date" value={filters.to} onChange={(event) => setFilter('to', event.currentTarget.value)} />
        </label>
      </form>
      <RecordTable
        title="Actions"
        testId="outreach-log"
        pages={pages}
        pageSize={PAGE_SIZE}
        error={error}
        fetching={fetching}
        connection={connection}
        columns={[
          { header: 'When', cell: (row) => formatDateTime(row.createdAt) },
          {
            header: 'Account',
            cell: (row) => (
              <a href={customerHref(row.customerId)}>
                <bdi>{row.customer.name}</bdi>
              </a>
            ),
            wraps: true,
          },
          { header: 'Playbook', cell: (row) => `${row.playbook} (${humanise(row.trigger)})${row.escalation ? ' · escalation' : ''}` },
          { header: 'Action', cell: (row) => `${humanise(row.action)} · ${row.channel.toLowerCase()}` },
          { header: 'Audience', cell: (row) => humanise(row.audience) },
          { header: 'Score', cell: (row) => row.score ?? '—', numeric: true },
          { header: 'Status', cell: (row) => <OutreachStatus action={row} /> },
        ]}
      />
    </section>
  );
}

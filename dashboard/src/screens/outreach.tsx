// Outreach log: every action the playbooks took, newest first, filtered by playbook, audience,
// status and days, paged on the server; the page and the filters are kept in the link. The From and
// To days are checked as the Changes' Since is (components/day-field.tsx): one before 1970, or From
// after To, typed or in the link, is said so in words and the list keeps the days it had.
import { DayField, dayOutOfRange, useLinkedDays, type DayRefusal, type Days } from '../components/day-field';
import { ApplyButton, TextFilter } from '../components/filters';
import { OutreachStatus } from '../components/outreach-status';
import { RecordTable } from '../components/record-table';
import { ScreenHeading } from '../components/screen-heading';
import { addDays, dayStart, formatDay } from '../days';
import { formatDateTime, humanise } from '../format';
import { graphql } from '../gql';
import type { OutreachAudience, OutreachStatus as Status } from '../gql/graphql';
import { usePagedQuery } from '../paged-query';
import { customerHref, useLinkedPage, useListState } from '../router';
import { HEAVY_WALK_ROWS } from '../walk-rows';

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

const DAYS = ['from', 'to'] as const;
type DayName = (typeof DAYS)[number];

/** Why the list cannot use these From and To days, if it cannot. */
function refuseDays(days: Days<DayName>): DayRefusal<DayName> | null {
  const outOfRange = dayOutOfRange(days, DAYS);
  if (outOfRange || days.from === '' || days.to === '' || days.from <= days.to) return outOfRange;
  return { name: 'from', day: days.from, reason: 'The From day is after the To day' };
}

/** What the list keeps of a day field while what is typed in it is refused. */
function stillUses(name: DayName, day: string): string {
  if (name === 'from') return day ? `the list still starts on ${formatDay(day)}` : 'the list still starts at the earliest action';
  return day ? `the list still ends on ${formatDay(day)}` : 'the list still ends at the latest action';
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
  };
  const days = useLinkedDays(link, changeLink, DAYS, refuseDays);
  // A new filter starts again at the first page.
  const setFilter = (name: keyof typeof filters, value: string) => changeLink({ [name]: value, page: '' });
  const position = useLinkedPage(link, changeLink);
  const paged = usePagedQuery(
    OutreachLogQuery,
    {
      first: PAGE_SIZE,
      playbook: filters.playbook.trim() || null,
      audience: filters.audience,
      status: filters.status,
      // The To day is the last listed: the list ends where the next day starts.
      from: days.days.from ? dayStart(days.days.from) : null,
      to: days.days.to ? dayStart(addDays(days.days.to, 1)) : null,
    },
    (data) => data.outreachLog,
    { position, walkRows: HEAVY_WALK_ROWS },
  );
  return (
    <section aria-labelledby="outreach-title">
      <ScreenHeading id="outreach-title" title="Outreach log" />
      <form class="filters" onSubmit={(event) => event.preventDefault()}>
        <TextFilter
          label="Playbook"
          value={filters.playbook}
          placeholder="any, e.g. critical"
          onApply={(playbook) => setFilter('playbook', playbook)}
        />
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
        {DAYS.map((name) => (
          <DayField
            key={name}
            id={`outreach-${name}`}
            label={name === 'from' ? 'From' : 'To'}
            applied={days.days[name]}
            refusal={days.refusal?.name === name ? days.refusal : null}
            stillUses={stillUses(name, days.days[name])}
            onDay={(day) => days.apply(name, day)}
          />
        ))}
        <ApplyButton />
      </form>
      <RecordTable
        title="Actions"
        testId="outreach-log"
        {...paged}
        pageSize={PAGE_SIZE}
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

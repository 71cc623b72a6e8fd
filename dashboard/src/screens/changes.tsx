// Changes since yesterday (or another day): tier changes, score drops, failed payments, urgent
// tickets and detractor answers, newest first, for one CSM or everyone. A smallest score drop out
// of range, or a Since day before 1970 (typed, or in the link: components/day-field.tsx), is said
// so next to its field, and the list keeps the last valid one meanwhile. The page and the filters
// are kept in the link.
import { useState } from 'preact/hooks';
import { ToArrow, TierBadge } from '../components/badges';
import { DayField, dayOutOfRange, useLinkedDays } from '../components/day-field';
import { ApplyButton, CsmOwnerFilter } from '../components/filters';
import { RecordTable, type Column } from '../components/record-table';
import { ScreenHeading } from '../components/screen-heading';
import { addDays, dayStart, formatDay } from '../days';
import { useToday } from '../use-today';
import { formatDateTime, formatPaymentDetail, humanise } from '../format';
import { graphql } from '../gql';
import type { ChangesQuery as ChangesData } from '../gql/graphql';
import { usePagedQuery } from '../paged-query';
import { customerHref, useLinkedPage, useListState } from '../router';

const ChangesQuery = graphql(`
  query Changes($since: DateTime!, $csmOwner: String, $minScoreDrop: Int, $first: Int!, $after: String) {
    changes(since: $since, csmOwner: $csmOwner, minScoreDrop: $minScoreDrop, first: $first, after: $after) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        node {
          id
          at
          kind
          customerId
          customerName
          fromTier
          toTier
          fromScore
          toScore
          detail
        }
      }
    }
  }
`);

const PAGE_SIZE = 25;
/** The range `changes(minScoreDrop:)` takes. */
const SCORE_DROP = { min: 1, max: 100, default: 10 };
const SINCE = ['since'] as const;

type Change = NonNullable<ChangesData['changes']>['edges'][number]['node'];

/** How the heading names the "since" day; an emptied field means the default, yesterday. */
function sinceLabel(since: string, today: string): string {
  if (!since || since === addDays(today, -1)) return 'yesterday';
  if (since === today) return 'today';
  return formatDay(since);
}

/** The smallest score drop typed, or null when it is not a whole number within the range. */
function parseScoreDrop(text: string): number | null {
  const value = Number(text);
  return text.trim() !== '' && Number.isInteger(value) && value >= SCORE_DROP.min && value <= SCORE_DROP.max ? value : null;
}

export function ChangesScreen() {
  const [link, changeLink] = useListState();
  const today = useToday();
  const sinceDay = useLinkedDays(link, changeLink, SINCE, (days) => dayOutOfRange(days, SINCE));
  const filters = {
    since: sinceDay.days.since || addDays(today, -1),
    csmOwner: link.csmOwner ?? '',
    minScoreDrop: parseScoreDrop(link.minScoreDrop ?? '') ?? SCORE_DROP.default,
  };
  // A new filter starts again at the first page; a default leaves the link.
  const setFilter = (name: keyof typeof filters, value: string) => changeLink({ [name]: value, page: '' });
  const position = useLinkedPage(link, changeLink);
  const paged = usePagedQuery(
    ChangesQuery,
    { since: dayStart(filters.since), csmOwner: filters.csmOwner.trim() || null, minScoreDrop: filters.minScoreDrop, first: PAGE_SIZE },
    (data) => data.changes,
    { position },
  );
  return (
    <section aria-labelledby="changes-title">
      <ScreenHeading id="changes-title" title="Changes">
        Changes since {sinceLabel(filters.since, today)}
      </ScreenHeading>
      <form class="filters" onSubmit={(event) => event.preventDefault()}>
        <DayField
          id="since"
          label="Since"
          applied={filters.since}
          refusal={sinceDay.refusal}
          stillUses={`the list still uses ${sinceLabel(filters.since, today)}`}
          onDay={(day) => sinceDay.apply('since', day)}
        />
        <CsmOwnerFilter value={filters.csmOwner} onApply={(csmOwner) => setFilter('csmOwner', csmOwner)} />
        <ScoreDropField
          applied={filters.minScoreDrop}
          onValid={(drop) => setFilter('minScoreDrop', drop === SCORE_DROP.default ? '' : String(drop))}
        />
        <ApplyButton />
      </form>
      <RecordTable title="Changes" testId="changes" {...paged} pageSize={PAGE_SIZE} columns={COLUMNS} />
    </section>
  );
}

/**
 * The smallest score drop: what is typed stays as typed (kept at every key, so that a live update's
 * render does not write an older value over it); it is checked as it is entered (the field left,
 * Enter, the arrows), and only a valid value reaches the list.
 */
function ScoreDropField({ applied, onValid }: { applied: number; onValid(drop: number): void }) {
  const [typed, setTyped] = useState(String(applied));
  const [entered, setEntered] = useState(String(applied));
  const invalid = parseScoreDrop(entered) === null;
  return (
    <>
      <label>
        Smallest score drop
        <input
          type="number"
          min={SCORE_DROP.min}
          max={SCORE_DROP.max}
          step={1}
          value={typed}
          aria-invalid={invalid}
          aria-describedby={invalid ? 'score-drop-error' : undefined}
          onInput={(event) => setTyped(event.currentTarget.value)}
          onChange={(event) => {
            const text = event.currentTarget.value;
            setEntered(text);
            const drop = parseScoreDrop(text);
            if (drop !== null) onValid(drop);
          }}
        />
      </label>
      {invalid && (
        <p class="error field-error" role="alert" id="score-drop-error">
          The smallest score drop is a whole number from {SCORE_DROP.min} to {SCORE_DROP.max}; the list still uses {applied}.
        </p>
      )}
    </>
  );
}

const COLUMNS: Array<Column<Change>> = [
  { header: 'When', cell: (row) => formatDateTime(row.at) },
  {
    header: 'Account',
    cell: (row) => (
      <a href={customerHref(row.customerId)}>
        <bdi>{row.customerName}</bdi>
      </a>
    ),
    wraps: true,
  },
  { header: 'What', cell: (row) => humanise(row.kind) },
  { header: 'Detail', cell: (row) => <ChangeDetail change={row} />, wraps: true },
];

function ChangeDetail({ change }: { change: Change }) {
  // A failed payment's amount as the customer page writes payments.
  if (change.kind === 'PAYMENT_FAILED' && change.detail) return <>{formatPaymentDetail(change.detail)}</>;
  // The detail may hold a ticket's subject, written in any direction.
  if (!change.toTier && change.toScore == null) return change.detail ? <bdi>{change.detail}</bdi> : null;
  return (
    <>
      {change.fromTier !== change.toTier && (
        <>
          <TierBadge tier={change.fromTier} />
          <ToArrow />
          <TierBadge tier={change.toTier} />{' '}
        </>
      )}
      {change.fromScore ?? '—'}
      <ToArrow />
      {change.toScore ?? '—'}
    </>
  );
}

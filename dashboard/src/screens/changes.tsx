// Changes since yesterday (or another day): tier changes, score drops, failed payments, urgent
// tickets and detractor answers, newest first, for one CSM or everyone. A smallest score drop out
// of range is said so next to its field, and the list keeps the last valid one meanwhile. The page
// and the filters are kept in the link.
import { useMemo, useState } from 'preact/hooks';
import { TierBadge } from '../components/badges';
import { RecordTable, type Column } from '../components/record-table';
import { ScreenHeading } from '../components/screen-heading';
import { formatDate, formatDateTime, humanise } from '../format';
import { graphql } from '../gql';
import type { ChangesQuery as ChangesData } from '../gql/graphql';
import { usePagedQuery } from '../paged-query';
import { customerHref, linkedDay, linkedPage, useListState } from '../router';

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

type Change = ChangesData['changes']['edges'][number]['node'];

/** A local day as yyyy-mm-dd, the value of a date field. */
function dayValue(day: Date): string {
  return `${day.getFullYear()}-${String(day.getMonth() + 1).padStart(2, '0')}-${String(day.getDate()).padStart(2, '0')}`;
}

/** Yesterday's date (local), the default of the "since" field. */
function yesterday(): string {
  const day = new Date();
  day.setDate(day.getDate() - 1);
  return dayValue(day);
}

/** How the heading names the "since" day; an emptied field means the default, yesterday. */
function sinceLabel(since: string): string {
  if (!since || since === yesterday()) return 'yesterday';
  if (since === dayValue(new Date())) return 'today';
  return formatDate(`${since}T00:00:00`);
}

/** The smallest score drop typed, or null when it is not a whole number within the range. */
function parseScoreDrop(text: string): number | null {
  const value = Number(text);
  return text.trim() !== '' && Number.isInteger(value) && value >= SCORE_DROP.min && value <= SCORE_DROP.max ? value : null;
}

export function ChangesScreen() {
  const [link, changeLink] = useListState();
  const filters = {
    since: linkedDay(link.since) || yesterday(),
    csmOwner: link.csmOwner ?? '',
    minScoreDrop: parseScoreDrop(link.minScoreDrop ?? '') ?? SCORE_DROP.default,
  };
  // A new filter starts again at the first page; a default leaves the link.
  const setFilter = (name: keyof typeof filters, value: string) => changeLink({ [name]: value, page: '' });
  const since = useMemo(() => new Date(`${filters.since || yesterday()}T00:00:00`).toISOString(), [filters.since]);
  const { connection, pages, error, fetching } = usePagedQuery(
    ChangesQuery,
    { since, csmOwner: filters.csmOwner.trim() || null, minScoreDrop: filters.minScoreDrop, first: PAGE_SIZE },
    (data) => data.changes,
    { position: linkedPage(link, changeLink) },
  );
  return (
    <section aria-labelledby="changes-title">
      <ScreenHeading id="changes-title" title="Changes">
        Changes since {sinceLabel(filters.since)}
      </ScreenHeading>
      <form class="filters" onSubmit={(event) => event.preventDefault()}>
        <label>
          Since
          <input type="date" value={filters.since} onChange={(event) => setFilter('since', event.currentTarget.value)} />
        </label>
        <label>
          CSM owner
          <input
            type="search"
            value={filters.csmOwner}
            onChange={(event) => setFilter('csmOwner', event.currentTarget.value)}
            placeholder="everyone"
          />
        </label>
        <ScoreDropField
          applied={filters.minScoreDrop}
          onValid={(drop) => setFilter('minScoreDrop', drop === SCORE_DROP.default ? '' : String(drop))}
        />
      </form>
      <RecordTable
        title="Changes"
        testId="changes"
        pages={pages}
        pageSize={PAGE_SIZE}
        error={error}
        fetching={fetching}
        connection={connection}
        columns={COLUMNS}
      />
    </section>
  );
}

/** The smallest score drop: what is typed stays as typed; only a valid value reaches the list. */
function ScoreDropField({ applied, onValid }: { applied: number; onValid(drop: number): void }) {
  const [typed, setTyped] = useState(String(applied));
  const invalid = parseScoreDrop(typed) === null;
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
          onChange={(event) => {
            const text = event.currentTarget.value;
            setTyped(text);
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
  { header: 'Account', cell: (row) => <a href={customerHref(row.customerId)}>{row.customerName}</a>, wraps: true },
  { header: 'What', cell: (row) => humanise(row.kind) },
  { header: 'Detail', cell: (row) => <ChangeDetail change={row} />, wraps: true },
];

function ChangeDetail({ change }: { change: Change }) {
  if (!change.toTier && change.toScore == null) return <>{change.detail ?? ''}</>;
  return (
    <>
      {change.fromTier !== change.toTier && (
        <>
          <TierBadge tier={change.fromTier} /> → <TierBadge tier={change.toTier} />{' '}
        </>
      )}
      {change.fromScore ?? '—'} → {change.toScore ?? '—'}
    </>
  );
}

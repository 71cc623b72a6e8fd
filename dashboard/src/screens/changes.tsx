// Changes since yesterday (or another day): tier changes, score drops, failed payments, urgent
// tickets and detractor answers, newest first, for one CSM or everyone.
import { useMemo, useState } from 'preact/hooks';
import { TierBadge } from '../components/badges';
import { usePages } from '../components/pager';
import { RecordTable } from '../components/record-table';
import { formatDateTime, humanise } from '../format';
import { graphql } from '../gql';
import { useLiveQuery } from '../live-query';
import { customerHref } from '../router';

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

/** Yesterday's date (local) as yyyy-mm-dd, the default of the "since" field. */
function yesterday(): string {
  const day = new Date();
  day.setDate(day.getDate() - 1);
  return `${day.getFullYear()}-${String(day.getMonth() + 1).padStart(2, '0')}-${String(day.getDate()).padStart(2, '0')}`;
}

export function ChangesScreen() {
  const pages = usePages();
  const [filters, setFilters] = useState({ since: yesterday(), csmOwner: '', minScoreDrop: 10 });
  const setFilter = <K extends keyof typeof filters>(name: K, value: (typeof filters)[K]) => {
    setFilters({ ...filters, [name]: value });
    pages.reset();
  };
  const since = useMemo(() => new Date(`${filters.since || yesterday()}T00:00:00`).toISOString(), [filters.since]);
  const { data, error } = useLiveQuery(ChangesQuery, {
    since,
    csmOwner: filters.csmOwner.trim() || null,
    minScoreDrop: filters.minScoreDrop,
    first: PAGE_SIZE,
    after: pages.after,
  });
  return (
    <section aria-labelledby="changes-title">
      <h1 id="changes-title">Changes since {filters.since === yesterday() ? 'yesterday' : filters.since}</h1>
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
        <label>
          Smallest score drop
          <input
            type="number"
            min={1}
            max={100}
            value={filters.minScoreDrop}
            onChange={(event) => setFilter('minScoreDrop', Math.min(100, Math.max(1, Number(event.currentTarget.value) || 10)))}
          />
        </label>
      </form>
      <RecordTable
        title="Changes"
        testId="changes"
        pages={pages}
        pageSize={PAGE_SIZE}
        error={error}
        connection={data?.changes}
        columns={[
          { header: 'When', cell: (row) => formatDateTime(row.at) },
          { header: 'Account', cell: (row) => <a href={customerHref(row.customerId)}>{row.customerName}</a> },
          { header: 'What', cell: (row) => humanise(row.kind) },
          {
            header: 'Detail',
            cell: (row) =>
              row.toTier || row.toScore != null ? (
                <>
                  {row.fromTier !== row.toTier && (
                    <>
                      <TierBadge tier={row.fromTier} /> → <TierBadge tier={row.toTier} />{' '}
                    </>
                  )}
                  {row.fromScore ?? '—'} → {row.toScore ?? '—'}
                </>
              ) : (
                (row.detail ?? '')
              ),
          },
        ]}
      />
    </section>
  );
}

// Customers: look an account up by its name, id or CSM (customers(search:), ignoring case), or list
// every account by name when nothing is searched for; paged on the server, the search and the page
// kept in the link (#/customers?search=acme&page=2). Any account is reached this way, a healthy one
// as well as those the worklist holds. The number of matches is announced to screen readers.
import { useEffect, useState } from 'preact/hooks';
import { askAgainNow } from '../ask-again';
import { CustomerTierBadge } from '../components/badges';
import { RecordTable, type Column } from '../components/record-table';
import { ScreenHeading } from '../components/screen-heading';
import { countOf, formatCents, humanise } from '../format';
import { graphql } from '../gql';
import type { CustomersQuery as CustomersData } from '../gql/graphql';
import { usePagedQuery } from '../paged-query';
import { customerHref, useLinkedPage, useListState } from '../router';

const CustomersQuery = graphql(`
  query Customers($search: String, $first: Int!, $after: String) {
    customers(search: $search, first: $first, after: $after, orderBy: NAME_ASC) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        node {
          id
          name
          csmOwner
          plan
          tier
          healthScore
          arrCents
          lifecycleStage
        }
      }
    }
  }
`);

const PAGE_SIZE = 25;
/** The longest search the server takes (`customers(search:)`). */
const SEARCH_MAX_LENGTH = 200;

type Customer = NonNullable<CustomersData['customers']>['edges'][number]['node'];

export function CustomersScreen() {
  const [link, changeLink] = useListState();
  const search = (link.search ?? '').trim();
  const position = useLinkedPage(link, changeLink);
  const { connection, pages, error, askingAgain, fetching } = usePagedQuery(
    CustomersQuery,
    { search: search || null, first: PAGE_SIZE },
    (data) => data.customers,
    { position },
  );
  const count = connection?.totalCount;
  return (
    <section aria-labelledby="customers-title">
      <ScreenHeading id="customers-title" title="Customers" />
      <SearchForm search={search} onSearch={(typed) => changeLink({ search: typed, page: '' })} />
      <p role="status" class="muted" data-testid="customers-found">
        {search && count !== undefined && (
          <>
            {countOf(count, 'customer matches', 'customers match')} “<bdi>{search}</bdi>”.
          </>
        )}
      </p>
      <RecordTable
        // Not "Customers": the screen's own section is named so, and two regions of one name are one too many.
        title="Accounts"
        testId="customers"
        pages={pages}
        pageSize={PAGE_SIZE}
        error={error}
        askingAgain={askingAgain}
        fetching={fetching}
        connection={connection}
        columns={COLUMNS}
      />
    </section>
  );
}

/** The search field: what is typed is searched for once sent (Enter, or the button); the link's search otherwise (back, a shared link). */
function SearchForm({ search, onSearch }: { search: string; onSearch(typed: string): void }) {
  const [typed, setTyped] = useState(search);
  useEffect(() => setTyped(search), [search]);
  return (
    <form
      class="filters"
      role="search"
      aria-label="Search customers"
      onSubmit={(event) => {
        event.preventDefault();
        // The same search sent again changes nothing: it asks the list again if it failed.
        if (typed.trim() === search) askAgainNow();
        else onSearch(typed.trim());
      }}
    >
      <label>
        Name, id or CSM
        <input
          type="search"
          name="search"
          value={typed}
          maxLength={SEARCH_MAX_LENGTH}
          placeholder="everyone"
          onInput={(event) => setTyped(event.currentTarget.value)}
        />
      </label>
      <button type="submit">Search</button>
    </form>
  );
}

const COLUMNS: Array<Column<Customer>> = [
  {
    header: 'Account',
    cell: (row) => (
      <>
        <a href={customerHref(row.id)}>
          <bdi>{row.name}</bdi>
        </a>
        <span class="muted block">
          <bdi>{row.id}</bdi>
        </span>
      </>
    ),
    wraps: true,
  },
  { header: 'CSM', cell: (row) => (row.csmOwner ? <bdi>{row.csmOwner}</bdi> : '—'), wraps: true },
  { header: 'Plan', cell: (row) => (row.plan ? <bdi>{row.plan}</bdi> : '—'), wraps: true },
  { header: 'Tier', cell: (row) => <CustomerTierBadge tier={row.tier} lifecycleStage={row.lifecycleStage} /> },
  { header: 'Score', cell: (row) => row.healthScore ?? '—', numeric: true },
  { header: 'ARR', cell: (row) => formatCents(row.arrCents), numeric: true },
  { header: 'Stage', cell: (row) => (row.lifecycleStage ? humanise(row.lifecycleStage) : '—') },
];

// Worklist: the accounts in the two worst tiers, by ARR at risk, with their trend and why; filtered
// by CSM and tier and paged on the server, the page and filters kept in the link. No lifecycle stage
// filter: a scored account in the two worst tiers is AT_RISK unless onboarding or churned, which the
// worklist leaves out, so every other stage would list nothing. Live events refetch the page shown,
// so an account appears, moves or leaves as its tier or score changes. The tier filter offers the
// active model's two worst tiers, asked for on their own so that they refresh even while the
// worklist is refused: after another preset is activated, a tier the worklist no longer holds
// resets the filter to both.
import { useEffect } from 'preact/hooks';
import { Loading, TierBadge, TrendArrow } from '../components/badges';
import { ApplyButton, CsmOwnerFilter } from '../components/filters';
import { PageError, Pager, PageStatus } from '../components/pager';
import { ScreenHeading } from '../components/screen-heading';
import { TableScroll } from '../components/table-scroll';
import { refusedArgument } from '../errors';
import { arrAtRiskCents, formatCents, formatNumber, humanise } from '../format';
import { graphql } from '../gql';
import type { WorklistQuery as WorklistData } from '../gql/graphql';
import { useLiveQuery } from '../live-query';
import { usePagedQuery } from '../paged-query';
import { customerHref, useLinkedPage, useListState } from '../router';

const WorklistQuery = graphql(`
  query Worklist($first: Int!, $after: String, $csmOwner: String, $tier: String) {
    worklist(first: $first, after: $after, csmOwner: $csmOwner, tier: $tier) {
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
          arrCents
          healthScore
          tier
          trend
          lifecycleStage
          currentScore {
            reasons(first: 3) {
              kind
              name
              pointsLost
            }
          }
        }
      }
    }
  }
`);

const WorklistTiersQuery = graphql(`
  query WorklistTiers {
    scoringModel {
      tiers {
        key
        label
        severity
      }
    }
  }
`);

export const PAGE_SIZE = 25;

interface Filters {
  csmOwner: string;
  tier: string;
}

type Tier = { key: string; label: string; severity: number };
/** A page of the worklist as answered (the root field is null only when it failed). */
type Worklist = NonNullable<WorklistData['worklist']>;

/** The tiers the worklist holds, worst first: the model's two worst, never its best (as the server decides). */
function worklistTiers(tiers: readonly Tier[]): Tier[] {
  return [...tiers].sort((a, b) => b.severity - a.severity).slice(0, Math.max(0, Math.min(2, tiers.length - 1)));
}

export function WorklistScreen() {
  const [link, changeLink] = useListState();
  const filters: Filters = { csmOwner: link.csmOwner ?? '', tier: link.tier ?? '' };
  // A new filter starts again at the first page.
  const setFilter = (name: keyof Filters, value: string) => changeLink({ [name]: value, page: '' });
  const tiers = useLiveQuery(WorklistTiersQuery, {}).data?.scoringModel?.tiers;
  const worstTiers = worklistTiers(tiers ?? []);
  const tierGone = tiers !== undefined && filters.tier !== '' && !worstTiers.some((tier) => tier.key === filters.tier);
  const position = useLinkedPage(link, changeLink);
  const {
    connection: worklist,
    pages,
    error,
    askingAgain,
    fetching,
  } = usePagedQuery(
    WorklistQuery,
    { first: PAGE_SIZE, csmOwner: filters.csmOwner.trim() || null, tier: (!tierGone && filters.tier) || null },
    (data) => data.worklist,
    { position },
  );
  // The server refuses a tier the active model does not put on the worklist (another preset was
  // activated meanwhile): the filter goes back to both rather than leave the screen on an error.
  const tierRefused = refusedArgument(error) === 'tier';
  useEffect(() => {
    if (tierGone || tierRefused) setFilter('tier', '');
  }, [tierGone, tierRefused]);
  return (
    <section aria-labelledby="worklist-title">
      <ScreenHeading id="worklist-title" title="Worklist" />
      <p class="muted">Accounts in the two worst tiers, by ARR at risk (ARR × (100 − score) %).</p>
      <WorklistFilters filters={filters} tiers={worstTiers} onChange={setFilter} />
      <PageStatus page={pages.page} pageSize={PAGE_SIZE} connection={worklist} />
      {!tierRefused && <PageError pages={pages} error={error} askingAgain={askingAgain} />}
      {!worklist && !error && fetching && <Loading />}
      {worklist && (
        <>
          <WorklistTable worklist={worklist} />
          {worklist.edges.length === 0 && <p class="muted">No account needs attention with these filters.</p>}
          <Pager
            pages={pages}
            pageSize={PAGE_SIZE}
            shown={worklist.edges.length}
            totalCount={worklist.totalCount}
            hasNextPage={worklist.pageInfo.hasNextPage}
            endCursor={worklist.pageInfo.endCursor}
            label="Worklist"
          />
        </>
      )}
    </section>
  );
}

function WorklistFilters({
  filters,
  tiers,
  onChange,
}: {
  filters: Filters;
  tiers: readonly Tier[];
  onChange(name: keyof Filters, value: string): void;
}) {
  // The select is only ever given a value one of its options has: given another (a link's unknown
  // tier, a tier the new model dropped), it would select nothing and read as empty, and the filter's
  // reset to both would then change nothing Preact can see (it compares with the value the select
  // reads), leaving it blank.
  const shownTier = tiers.some((tier) => tier.key === filters.tier) ? filters.tier : '';
  return (
    <form class="filters" onSubmit={(event) => event.preventDefault()}>
      <CsmOwnerFilter value={filters.csmOwner} onApply={(csmOwner) => onChange('csmOwner', csmOwner)} />
      <label>
        Tier
        <select value={shownTier} onChange={(event) => onChange('tier', event.currentTarget.value)}>
          <option value="">both</option>
          {tiers.map((tier) => (
            <option key={tier.key} value={tier.key}>
              {tier.label}
            </option>
          ))}
        </select>
      </label>
      <ApplyButton />
    </form>
  );
}

function WorklistTable({ worklist }: { worklist: Worklist }) {
  return (
    <TableScroll label="Worklist">
      <table data-testid="worklist">
        <thead>
          <tr>
            <th scope="col">Account</th>
            <th scope="col">CSM</th>
            <th scope="col">Tier</th>
            <th scope="col" class="number">
              Score
            </th>
            <th scope="col">Trend</th>
            <th scope="col" class="number">
              ARR
            </th>
            <th scope="col" class="number">
              ARR at risk
            </th>
            <th scope="col">Why</th>
          </tr>
        </thead>
        <tbody>
          {worklist.edges.map(({ node }) => (
            <WorklistRow key={node.id} account={node} />
          ))}
        </tbody>
      </table>
    </TableScroll>
  );
}

function WorklistRow({ account }: { account: Worklist['edges'][number]['node'] }) {
  return (
    <tr data-customer-id={account.id}>
      <th scope="row" class="wraps">
        <a href={customerHref(account.id)}>
          <bdi>{account.name}</bdi>
        </a>
        <span class="muted block">{account.lifecycleStage ? humanise(account.lifecycleStage) : ''}</span>
      </th>
      <td class="wraps">{account.csmOwner ? <bdi>{account.csmOwner}</bdi> : '—'}</td>
      <td data-testid="row-tier">
        <TierBadge tier={account.tier} />
      </td>
      <td class="number" data-testid="row-score">
        {account.healthScore ?? '—'}
      </td>
      <td>
        <TrendArrow trend={account.trend} />
      </td>
      <td class="number">{formatCents(account.arrCents)}</td>
      <td class="number" data-testid="row-arr-at-risk">
        {formatCents(arrAtRiskCents(account.arrCents, account.healthScore))}
      </td>
      <td>
        <ul class="reasons">
          {(account.currentScore?.reasons ?? []).map((reason) => (
            <li key={reason.name} data-testid="worklist-reason">
              {humanise(reason.name)} <span class="muted">−{formatNumber(reason.pointsLost, reason.pointsLost < 10 ? 1 : 0)} pts</span>
            </li>
          ))}
        </ul>
      </td>
    </tr>
  );
}

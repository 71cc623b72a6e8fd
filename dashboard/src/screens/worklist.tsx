// Worklist: the accounts in the two worst tiers, by ARR at risk, with their trend and why; filtered
// by CSM, tier and lifecycle stage and paged on the server. Live events refetch the page shown, so
// an account appears, moves or leaves as its tier or score changes.
import { useState } from 'preact/hooks';
import { ErrorNote, TierBadge, TrendArrow } from '../components/badges';
import { Pager, usePages } from '../components/pager';
import { arrAtRiskCents, formatCents, formatNumber, humanise } from '../format';
import { graphql } from '../gql';
import type { LifecycleStage } from '../gql/graphql';
import { useLiveQuery } from '../live-query';
import { customerHref } from '../router';

const WorklistQuery = graphql(`
  query Worklist($first: Int!, $after: String, $csmOwner: String, $tier: String, $lifecycleStage: LifecycleStage) {
    worklist(first: $first, after: $after, csmOwner: $csmOwner, tier: $tier, lifecycleStage: $lifecycleStage) {
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
const STAGES: LifecycleStage[] = ['ACTIVE', 'AT_RISK', 'ADVOCATE'];

export function WorklistScreen() {
  const pages = usePages();
  const [filters, setFilters] = useState({ csmOwner: '', tier: '', lifecycleStage: '' });
  const setFilter = (name: keyof typeof filters, value: string) => {
    setFilters({ ...filters, [name]: value });
    pages.reset();
  };
  const { data, error, fetching } = useLiveQuery(WorklistQuery, {
    first: PAGE_SIZE,
    after: pages.after,
    csmOwner: filters.csmOwner.trim() || null,
    tier: filters.tier || null,
    lifecycleStage: (filters.lifecycleStage || null) as LifecycleStage | null,
  });
  const worstTiers = [...(data?.scoringModel.tiers ?? [])].sort((a, b) => b.severity - a.severity).slice(0, 2);
  const worklist = data?.worklist;
  return (
    <section aria-labelledby="worklist-title">
      <h1 id="worklist-title">Worklist</h1>
      <p class="muted">Accounts in the two worst tiers, by ARR at risk (ARR × (100 − score) %).</p>
      <form class="filters" onSubmit={(event) => event.preventDefault()}>
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
          Tier
          <select value={filters.tier} onChange={(event) => setFilter('tier', event.currentTarget.value)}>
            <option value="">both</option>
            {worstTiers.map((tier) => (
              <option key={tier.key} value={tier.key}>
                {tier.label}
              </option>
            ))}
          </select>
        </label>
        <label>
          Lifecycle stage
          <select value={filters.lifecycleStage} onChange={(event) => setFilter('lifecycleStage', event.currentTarget.value)}>
            <option value="">any</option>
            {STAGES.map((stage) => (
              <option key={stage} value={stage}>
                {humanise(stage)}
              </option>
            ))}
          </select>
        </label>
      </form>
      <ErrorNote error={error} />
      {!worklist && fetching && <p class="loading">Loading…</p>}
      {worklist && (
        <>
          <div class="table-scroll">
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
                  <tr key={node.id} data-customer-id={node.id}>
                    <th scope="row">
                      <a href={customerHref(node.id)}>{node.name}</a>
                      <span class="muted block">{node.lifecycleStage ? humanise(node.lifecycleStage) : ''}</span>
                    </th>
                    <td>{node.csmOwner ?? '—'}</td>
                    <td data-testid="row-tier">
                      <TierBadge tier={node.tier} />
                    </td>
                    <td class="number" data-testid="row-score">
                      {node.healthScore ?? '—'}
                    </td>
                    <td>
                      <TrendArrow trend={node.trend} />
                    </td>
                    <td class="number">{formatCents(node.arrCents)}</td>
                    <td class="number" data-testid="row-arr-at-risk">
                      {formatCents(arrAtRiskCents(node.arrCents, node.healthScore))}
                    </td>
                    <td>
                      <ul class="reasons">
                        {(node.currentScore?.reasons ?? []).map((reason) => (
                          <li key={reason.name} data-testid="worklist-reason">
                            {humanise(reason.name)}{' '}
                            <span class="muted">−{formatNumber(reason.pointsLost, reason.pointsLost < 10 ? 1 : 0)} pts</span>
                          </li>
                        ))}
                      </ul>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
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

// Overview: the book at a glance — customers and ARR per tier (those churned, cancelled or silent
// past the churn window, counted apart, as the tiers leave them out), average component scores,
// lifecycle stages, NPS for the last days up to today (moving with the day on a page left open), and
// the tier changes arriving live, said to screen readers a burst at a time (components/announcement.tsx).
import { useState } from 'preact/hooks';
import { Announcement, useTierChangesSaid } from '../components/announcement';
import { ErrorNote, Loading, TierBadge, ToArrow } from '../components/badges';
import { ApplyButton, CsmOwnerFilter } from '../components/filters';
import { ScreenHeading } from '../components/screen-heading';
import { TableScroll } from '../components/table-scroll';
import { addDays, dayStart } from '../days';
import { useToday } from '../use-today';
import { formatCents, formatCount, formatDateTime, formatNumber, humanise, nounFor } from '../format';
import { graphql } from '../gql';
import type { LiveTierChangeFragment, OverviewQuery } from '../gql/graphql';
import { useLive } from '../live';
import { useLiveQuery, useSession } from '../live-query';
import { customerHref } from '../router';

const OverviewQuery = graphql(`
  query Overview($csmOwner: String, $npsFrom: DateTime!) {
    healthSummary(csmOwner: $csmOwner) {
      totalCustomers
      churnedCustomers
      averageScore
      tiers {
        tier
        label
        count
        arrCents
      }
      components {
        name
        averageScore
      }
      lifecycleStages {
        stage
        count
      }
    }
    npsSummary(csmOwner: $csmOwner, from: $npsFrom) {
      responses
      nps
      averageScore
      promoters
      passives
      detractors
    }
  }
`);

const NPS_PERIODS = [30, 90, 365] as const;

export function OverviewScreen() {
  const [csmOwner, setCsmOwner] = useState('');
  const [npsDays, setNpsDays] = useState<number>(90);
  const today = useToday();
  // From the start of a whole day, so the variables (and the query) stay the same between renders of one day.
  const npsFrom = dayStart(addDays(today, -npsDays));
  const { data, error, askingAgain, fetching } = useLiveQuery(OverviewQuery, { csmOwner: csmOwner.trim() || null, npsFrom });
  const summary = data?.healthSummary;
  const nps = data?.npsSummary;
  return (
    <section aria-labelledby="overview-title">
      <ScreenHeading id="overview-title" title="Overview" />
      <form class="filters" onSubmit={(event) => event.preventDefault()}>
        <CsmOwnerFilter value={csmOwner} onApply={setCsmOwner} />
        <label>
          NPS period
          <select value={npsDays} onChange={(event) => setNpsDays(Number(event.currentTarget.value))}>
            {NPS_PERIODS.map((days) => (
              <option key={days} value={days}>
                last {days} days
              </option>
            ))}
          </select>
        </label>
        <ApplyButton />
      </form>
      <ErrorNote error={error} askingAgain={askingAgain} />
      {!summary && !error && fetching && <Loading />}
      {summary && nps && (
        <div class="cards">
          <article class="card" aria-labelledby="tiers-title">
            <h2 id="tiers-title">Tiers</h2>
            <CustomerCounts summary={summary} />
            <TableScroll label="Tiers">
              <table data-testid="tier-table">
                <thead>
                  <tr>
                    <th scope="col">Tier</th>
                    <th scope="col" class="number">
                      Customers
                    </th>
                    <th scope="col" class="number">
                      ARR
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {summary.tiers.map((tier) => (
                    <tr key={tier.tier} data-tier={tier.tier}>
                      <th scope="row">
                        <TierBadge tier={tier.tier} label={tier.label} />
                      </th>
                      <td class="number" data-testid="tier-count">
                        {formatCount(tier.count)}
                      </td>
                      <td class="number" data-testid="tier-arr">
                        {formatCents(tier.arrCents)}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableScroll>
          </article>
          <article class="card" aria-labelledby="components-title">
            <h2 id="components-title">Average components</h2>
            <ul class="bars" data-testid="components">
              {summary.components.map((component) => (
                <li key={component.name} data-component={component.name}>
                  <span class="bar-label">{component.name}</span>
                  <span class="bar" aria-hidden="true">
                    <span style={{ width: `${component.averageScore ?? 0}%` }} />
                  </span>
                  <span class="number">{formatNumber(component.averageScore, 1)}</span>
                </li>
              ))}
            </ul>
          </article>
          <article class="card" aria-labelledby="stages-title">
            <h2 id="stages-title">Lifecycle stages</h2>
            <dl class="pairs" data-testid="lifecycle">
              {summary.lifecycleStages.map((stage) => (
                <div key={stage.stage} data-stage={stage.stage}>
                  <dt>{humanise(stage.stage)}</dt>
                  <dd>{formatCount(stage.count)}</dd>
                </div>
              ))}
            </dl>
          </article>
          <article class="card" aria-labelledby="nps-title">
            <h2 id="nps-title">NPS, last {npsDays} days</h2>
            <p class="figure">
              NPS <strong data-testid="nps">{nps.nps ?? '—'}</strong> from{' '}
              <span data-testid="nps-responses">{formatCount(nps.responses)}</span> {nounFor(nps.responses, 'answer')}
            </p>
            <dl class="pairs">
              <div>
                <dt>promoters</dt>
                <dd data-testid="nps-promoters">{formatCount(nps.promoters)}</dd>
              </div>
              <div>
                <dt>passives</dt>
                <dd>{formatCount(nps.passives)}</dd>
              </div>
              <div>
                <dt>detractors</dt>
                <dd data-testid="nps-detractors">{formatCount(nps.detractors)}</dd>
              </div>
              <div>
                <dt>average</dt>
                <dd>{formatNumber(nps.averageScore, 2)}</dd>
              </div>
            </dl>
          </article>
          <LiveFeed />
        </div>
      )}
    </section>
  );
}

/** The customers the tier table holds, and apart from them those churned and those not scored yet. */
function CustomerCounts({ summary }: { summary: NonNullable<OverviewQuery['healthSummary']> }) {
  const inTiers = summary.tiers.reduce((sum, tier) => sum + tier.count, 0);
  const unscored = summary.totalCustomers - summary.churnedCustomers - inTiers;
  return (
    <p class="figure">
      <span data-testid="customers-in-tiers">{formatCount(inTiers)}</span> {nounFor(inTiers, 'customer')} · average score{' '}
      <span data-testid="average-score">{formatNumber(summary.averageScore, 1)}</span>
      <span class="muted block">
        <span data-testid="churned-customers">{formatCount(summary.churnedCustomers)}</span> more churned (cancelled, or silent past the
        churn window), in no tier
        {unscored > 0 && <>; {formatCount(unscored)} not scored yet</>}
      </span>
    </p>
  );
}

/** The latest tier changes; said to screen readers through their own region, a burst at a time, not a line at a time. */
function LiveFeed() {
  const { live } = useSession();
  const { feed } = useLive(live);
  const said = useTierChangesSaid(live);
  return (
    <article class="card wide" aria-labelledby="feed-title">
      <h2 id="feed-title">Tier changes, live</h2>
      <Announcement said={said} testId="tier-changes-said" />
      {feed.length === 0 ? <p class="muted">None since this page opened.</p> : <FeedList feed={feed} />}
    </article>
  );
}

function FeedList({ feed }: { feed: LiveTierChangeFragment[] }) {
  return (
    <ul class="feed" data-testid="live-feed">
      {feed.slice(0, 10).map((change) => (
        <li key={change.id}>
          <a href={customerHref(change.customerId)}>
            <bdi>{change.customer.name}</bdi>
          </a>{' '}
          <TierBadge tier={change.fromTier} />
          <ToArrow />
          <TierBadge tier={change.toTier} /> ({change.fromScore ?? '—'}
          <ToArrow />
          {change.toScore})<span class="muted"> {formatDateTime(change.changedAt)}</span>
        </li>
      ))}
    </ul>
  );
}

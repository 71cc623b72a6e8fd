// Customer page: who the account is, its score over the last CHART_DAYS days (model changes marked;
// every score, older ones too, in a paged table under the chart), the components,
// signals and penalties of its latest score with their contributions and coverage, the raw
// records behind any signal (drill-down), and its NPS answers, payments, tickets and outreach.
// An id the server does not know, or refuses as no id at all (blank, too long), gets a not-found
// page with the way back to the worklist: either way no customer is at that link. A tier change of
// the account arriving live is said to screen readers.
import { useMemo, useState } from 'preact/hooks';
import { Announcement, useTierChangeSaid } from '../components/announcement';
import { CustomerTierBadge, ErrorNote, Loading, TrendArrow } from '../components/badges';
import { ScoreChart, type ChartPoint } from '../components/score-chart';
import { ScreenHeading } from '../components/screen-heading';
import { TableScroll } from '../components/table-scroll';
import { isNotFound, refusedArgument } from '../errors';
import { formatCents, formatDate, formatDateTime, formatNumber, formatPercent, humanise } from '../format';
import { graphql } from '../gql';
import type { CustomerPageQuery } from '../gql/graphql';
import { useLiveQuery } from '../live-query';
import { signalWindows, type SignalWindow } from '../signal-sources';
import { addDays, dayStart } from '../days';
import { useToday } from '../use-today';
import { CustomerRecords } from './customer-records';
import { ScoreTable } from './score-table';
import { NotFoundScreen } from './not-found';
import { SignalDrillDown } from './signal-drill-down';

/** The days the score chart shows, up to today. */
const CHART_DAYS = 90;

const CustomerQuery = graphql(`
  query CustomerPage($id: ID!, $from: DateTime!) {
    customer(id: $id) {
      id
      name
      plan
      csmOwner
      arrCents
      seats
      lifecycleStage
      tier
      healthScore
      trend
      nps
      lastActivityAt
      communicationOptOut
      churnedAt
      churnReason
      currentScore {
        asOf
        score
        tier
        coverage
        modelVersion
        components {
          name
          score
          weight
        }
        signals {
          name
          component
          contribution
          weight
          value
          rawValue
          missing
        }
        penalties {
          name
          points
          applied
          rawValue
        }
      }
      scoreHistory(first: 500, from: $from) {
        totalCount
        edges {
          node {
            asOf
            score
            tier
            modelVersion
            scoringVersion
          }
        }
      }
    }
    scoringModel {
      version
      config
    }
  }
`);

export function CustomerScreen({ customerId }: { customerId: string }) {
  // From the start of the day CHART_DAYS ago, moving with the day on a page left open.
  const from = dayStart(addDays(useToday(), -CHART_DAYS));
  const { data, error, askingAgain, fetching } = useLiveQuery(CustomerQuery, { id: customerId, from }, { customerId });
  const [drillDown, setDrillDown] = useState<SignalWindow | null>(null);
  const customer = data?.customer;
  const windows = useMemo(() => signalWindows(data?.scoringModel?.config), [data?.scoringModel?.config]);
  const tierSaid = useTierChangeSaid(customer?.tier);
  const history = useMemo<ChartPoint[]>(
    () => [...(customer?.scoreHistory.edges ?? [])].reverse().map((edge) => edge.node),
    [customer?.scoreHistory],
  );
  if (isNotFound(error) || refusedArgument(error) === 'id')
    return <NotFoundScreen title="Customer not found">No customer has the id “{customerId}”.</NotFoundScreen>;
  if (error)
    return (
      <section aria-labelledby="customer-title">
        <ScreenHeading id="customer-title" title="Customer" />
        <ErrorNote error={error} askingAgain={askingAgain} />
      </section>
    );
  if (!customer) return fetching ? <Loading /> : null;
  const score = customer.currentScore;
  const open = (name: string) => {
    const window = windows.get(name);
    if (window) setDrillDown(window);
  };
  const close = () => {
    // The drill-down held the focus and goes away: the focus goes back to the signal it was opened
    // from (still on the page), not to the document's start.
    const opener = drillDown && document.querySelector<HTMLElement>(`[data-signal="${CSS.escape(drillDown.name)}"] button`);
    setDrillDown(null);
    opener?.focus();
  };
  return (
    <section aria-labelledby="customer-title">
      <ScreenHeading id="customer-title" title={customer.name}>
        <bdi>{customer.name}</bdi>
      </ScreenHeading>
      <Announcement said={tierSaid} testId="tier-change-said" />
      {customer.churnedAt && (
        <p class="cancelled" data-testid="churned">
          Cancelled on {formatDate(customer.churnedAt)}
          {customer.churnReason && (
            <>
              {' — '}
              <bdi>{customer.churnReason}</bdi>
            </>
          )}
        </p>
      )}
      <CustomerFacts customer={customer} />
      <h2>Score history</h2>
      <ScoreChart
        points={history}
        window={{ days: CHART_DAYS, scores: customer.scoreHistory.totalCount }}
        scoredBefore={customer.currentScore !== null}
      />
      <ScoreTable customerId={customer.id} />
      {score && (
        <>
          <h2>
            Latest score{' '}
            <span class="muted">
              ({formatDateTime(score.asOf)}, model v{score.modelVersion}, coverage{' '}
              <span data-testid="coverage">{formatPercent(score.coverage)}</span>)
            </span>
          </h2>
          <TableScroll label="Components">
            <table data-testid="components-table">
              <caption>Components</caption>
              <thead>
                <tr>
                  <th scope="col">Component</th>
                  <th scope="col" class="number">
                    Score
                  </th>
                  <th scope="col" class="number">
                    Weight
                  </th>
                </tr>
              </thead>
              <tbody>
                {score.components.map((component) => (
                  <tr key={component.name}>
                    <th scope="row">{component.name}</th>
                    <td class="number">{formatNumber(component.score, 1)}</td>
                    <td class="number">{formatPercent(component.weight)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableScroll>
          <TableScroll label="Signals">
            <table data-testid="signals-table">
              <caption>Signals (choose one to see the records behind it)</caption>
              <thead>
                <tr>
                  <th scope="col">Signal</th>
                  <th scope="col">Component</th>
                  <th scope="col" class="number">
                    Measured
                  </th>
                  <th scope="col" class="number">
                    Value
                  </th>
                  <th scope="col" class="number">
                    Weight
                  </th>
                  <th scope="col" class="number">
                    Contribution
                  </th>
                </tr>
              </thead>
              <tbody>
                {score.signals.map((signal) => (
                  <tr key={signal.name} data-signal={signal.name} class={signal.missing ? 'missing' : undefined}>
                    <th scope="row">
                      <button type="button" class="link" onClick={() => open(signal.name)} aria-pressed={drillDown?.name === signal.name}>
                        {humanise(signal.name)}
                      </button>
                    </th>
                    <td>{signal.component}</td>
                    <td class="number">{signal.missing ? 'missing' : formatNumber(signal.rawValue, 2)}</td>
                    <td class="number">{formatPercent(signal.value)}</td>
                    <td class="number">{signal.weight}</td>
                    <td class="number" data-testid="signal-contribution">
                      {formatNumber(signal.contribution, 2)}
                    </td>
                  </tr>
                ))}
                {score.penalties
                  .filter((penalty) => penalty.applied)
                  .map((penalty) => (
                    <tr key={penalty.name} data-signal={penalty.name} class="penalty">
                      <th scope="row">
                        <button
                          type="button"
                          class="link"
                          onClick={() => open(penalty.name)}
                          aria-pressed={drillDown?.name === penalty.name}
                        >
                          {humanise(penalty.name)}
                        </button>
                      </th>
                      <td>penalty</td>
                      <td class="number">{formatNumber(penalty.rawValue, 2)}</td>
                      <td class="number">—</td>
                      <td class="number">—</td>
                      <td class="number">−{penalty.points}</td>
                    </tr>
                  ))}
              </tbody>
            </table>
          </TableScroll>
          {drillDown && (
            // Keyed by signal and instant: another signal (or a live refetch) starts its lists on page 1.
            <SignalDrillDown
              key={`${drillDown.name}@${score.asOf}`}
              customerId={customer.id}
              window={drillDown}
              asOf={score.asOf}
              onClose={close}
            />
          )}
        </>
      )}
      <CustomerRecords customerId={customer.id} />
    </section>
  );
}

function CustomerFacts({ customer }: { customer: NonNullable<CustomerPageQuery['customer']> }) {
  return (
    <dl class="pairs facts" data-testid="customer-facts">
      <div>
        <dt>Score</dt>
        <dd data-testid="customer-score">{customer.healthScore ?? '—'}</dd>
      </div>
      <div>
        <dt>Tier</dt>
        <dd>
          <CustomerTierBadge tier={customer.tier} lifecycleStage={customer.lifecycleStage} /> <TrendArrow trend={customer.trend} />
        </dd>
      </div>
      <div>
        <dt>ARR</dt>
        <dd data-testid="customer-arr">{formatCents(customer.arrCents)}</dd>
      </div>
      <div>
        <dt>Plan</dt>
        <dd>{customer.plan ? <bdi>{customer.plan}</bdi> : '—'}</dd>
      </div>
      <div>
        <dt>CSM</dt>
        <dd>{customer.csmOwner ? <bdi>{customer.csmOwner}</bdi> : '—'}</dd>
      </div>
      <div>
        <dt>Stage</dt>
        <dd>{customer.lifecycleStage ? humanise(customer.lifecycleStage) : '—'}</dd>
      </div>
      <div>
        <dt>NPS</dt>
        <dd>{customer.nps ?? '—'}</dd>
      </div>
      <div>
        <dt>Last activity</dt>
        <dd>{formatDateTime(customer.lastActivityAt)}</dd>
      </div>
      {customer.communicationOptOut && (
        <div>
          <dt>Communication</dt>
          <dd>opted out</dd>
        </div>
      )}
    </dl>
  );
}

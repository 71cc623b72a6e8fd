// Backtest (admin): "does it predict churn?" — the active model scored over a past grid and measured
// against the churns known today. Run on demand: it scores every account at every instant. Its days
// start at local midnight, as every day of the dashboard does (days.ts). While it runs, its button
// stays focusable (aria-disabled, a press ignored), and the status line says when it is done.
// Run again with the same grid (after a failure), it asks again.
import { createRequest } from '@urql/core';
import { useState } from 'preact/hooks';
import { useQuery } from '@urql/preact';
import { ErrorNote } from '../components/badges';
import { TableScroll } from '../components/table-scroll';
import { addDays, dayStart, today } from '../days';
import { countOf, formatCount, formatNumber, formatPercent } from '../format';
import { graphql } from '../gql';
import type { BacktestInput } from '../gql/graphql';

const BacktestQuery = graphql(`
  query Backtest($input: BacktestInput!) {
    backtest(input: $input) {
      customers
      churners
      instants
      horizonDays
      recall {
        leadDays
        churners
        flagged
        recall
      }
      precision {
        precision
        flaggedSnapshots
        truePositives
      }
      auc {
        auc
        leadDays
      }
      leadTime {
        detected
        medianDays
        p25Days
        p75Days
      }
      falseAlarms {
        rate
        ratePer90Days
      }
      tierChurnRates {
        tierKey
        snapshots
        churned
        rate
      }
    }
  }
`);

export function BacktestPanel() {
  const [form, setForm] = useState(() => ({ from: addDays(today(), -120), to: addDays(today(), -1), horizonDays: 30, stepDays: 7 }));
  const [input, setInput] = useState<BacktestInput | null>(null);
  const [{ data, error, fetching }, reexecute] = useQuery({ query: BacktestQuery, variables: { input: input! }, pause: input === null });
  const report = data?.backtest;
  return (
    <section class="card wide" aria-labelledby="backtest-title">
      <h2 id="backtest-title">Does it predict churn? (backtest)</h2>
      {/* Every field is required: the browser refuses an empty one in words before onSubmit, which
          could make no instant of an empty date. */}
      <form
        class="filters"
        onSubmit={(event) => {
          event.preventDefault();
          if (fetching) return;
          const asked = { from: dayStart(form.from), to: dayStart(form.to), horizonDays: form.horizonDays, stepDays: form.stepDays };
          // The same grid again asks no other request: asked again, for a backtest that failed.
          if (input !== null && createRequest(BacktestQuery, { input: asked }).key === createRequest(BacktestQuery, { input }).key)
            reexecute({ requestPolicy: 'network-only' });
          else setInput(asked);
        }}
      >
        <label>
          From
          <input type="date" required value={form.from} onChange={(event) => setForm({ ...form, from: event.currentTarget.value })} />
        </label>
        <label>
          To
          <input type="date" required value={form.to} onChange={(event) => setForm({ ...form, to: event.currentTarget.value })} />
        </label>
        <label>
          Horizon (days)
          <input
            type="number"
            required
            min={1}
            max={365}
            value={form.horizonDays}
            onChange={(event) => setForm({ ...form, horizonDays: Number(event.currentTarget.value) })}
          />
        </label>
        <label>
          Step (days)
          <input
            type="number"
            required
            min={1}
            max={90}
            value={form.stepDays}
            onChange={(event) => setForm({ ...form, stepDays: Number(event.currentTarget.value) })}
          />
        </label>
        <button type="submit" aria-disabled={fetching}>
          {fetching ? 'Running…' : 'Run backtest'}
        </button>
      </form>
      <p role="status" class="muted" data-testid="backtest-status">
        {fetching
          ? 'Running the backtest…'
          : report && `Backtest done: ${countOf(report.customers, 'account')}, AUC ${formatNumber(report.auc.auc, 2)}.`}
      </p>
      <ErrorNote error={error} />
      {report && (
        <div data-testid="backtest">
          <p>
            {countOf(report.customers, 'account')}, {formatCount(report.churners)} churned, {countOf(report.instants, 'instant')}; horizon{' '}
            {countOf(report.horizonDays, 'day')}. AUC {formatNumber(report.auc.auc, 2)} ({countOf(report.auc.leadDays, 'day')} ahead),
            precision {formatPercent(report.precision.precision)}, false alarms {formatPercent(report.falseAlarms.ratePer90Days)} per 90
            days, median lead {report.leadTime.medianDays == null ? '—' : countOf(Math.round(report.leadTime.medianDays), 'day')}.
          </p>
          <TableScroll label="Recall">
            <table>
              <caption>Recall: churners flagged ahead of time</caption>
              <thead>
                <tr>
                  <th scope="col">Days ahead</th>
                  <th scope="col" class="number">
                    Churners
                  </th>
                  <th scope="col" class="number">
                    Flagged
                  </th>
                  <th scope="col" class="number">
                    Recall
                  </th>
                </tr>
              </thead>
              <tbody>
                {report.recall.map((row) => (
                  <tr key={row.leadDays}>
                    <th scope="row">{row.leadDays}</th>
                    <td class="number">{formatCount(row.churners)}</td>
                    <td class="number">{formatCount(row.flagged)}</td>
                    <td class="number">{formatPercent(row.recall)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableScroll>
          <TableScroll label="Churn per tier">
            <table>
              <caption>Churn per tier (a sound model's worst tier churns most)</caption>
              <thead>
                <tr>
                  <th scope="col">Tier</th>
                  <th scope="col" class="number">
                    Snapshots
                  </th>
                  <th scope="col" class="number">
                    Churned
                  </th>
                  <th scope="col" class="number">
                    Rate
                  </th>
                </tr>
              </thead>
              <tbody>
                {report.tierChurnRates.map((row) => (
                  <tr key={row.tierKey}>
                    <th scope="row">{row.tierKey}</th>
                    <td class="number">{formatCount(row.snapshots)}</td>
                    <td class="number">{formatCount(row.churned)}</td>
                    <td class="number">{formatPercent(row.rate, 1)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableScroll>
        </div>
      )}
    </section>
  );
}

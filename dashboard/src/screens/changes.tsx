// Changes since yesterday (or another day): tier changes, score drops, failed payments, urgent
// tickets and detractor answers, newest first, for one CSM or everyone. A smallest score drop out
// of range, or a Since day before 1970 (typed, or in the link), is said so next to its field, and
// the list keeps the last valid one meanwhile. The page and the filters are kept in the link.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { TierBadge } from '../components/badges';
import { RecordTable, type Column } from '../components/record-table';
import { ScreenHeading } from '../components/screen-heading';
import { formatDate, formatDateTime, formatPaymentDetail, humanise } from '../format';
import { graphql } from '../gql';
import type { ChangesQuery as ChangesData } from '../gql/graphql';
import { usePagedQuery } from '../paged-query';
import { customerHref, linkedDay, useLinkedPage, useListState } from '../router';

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
/** The days the Since field takes: the server takes instants from 1970 on; a link, four-digit years. */
const SINCE_DAYS = { min: '1970-01-01', max: '9999-12-31' };

type Change = NonNullable<ChangesData['changes']>['edges'][number]['node'];

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

/** Whether a Since field's value can be used: a day within SINCE_DAYS, or empty (yesterday). */
function validSince(text: string): boolean {
  // yyyy-mm-dd compares as text: linkedDay has checked the form.
  return text === '' || (linkedDay(text) !== '' && text >= SINCE_DAYS.min && text <= SINCE_DAYS.max);
}

/** The smallest score drop typed, or null when it is not a whole number within the range. */
function parseScoreDrop(text: string): number | null {
  const value = Number(text);
  return text.trim() !== '' && Number.isInteger(value) && value >= SCORE_DROP.min && value <= SCORE_DROP.max ? value : null;
}

export function ChangesScreen() {
  const [link, changeLink] = useListState();
  // A Since day out of range in the link (typed into it, or shared so) is refused as one typed into
  // the field is: said so in words, the list kept on the last valid day (the default, on a link
  // opened afresh), which the link then names again.
  const linkedSince = linkedDay(link.since);
  const refusedSince = validSince(linkedSince) ? null : linkedSince;
  const lastValidSince = useRef('');
  if (refusedSince === null) lastValidSince.current = linkedSince;
  useEffect(() => {
    if (refusedSince !== null) changeLink({ since: lastValidSince.current });
  }, [refusedSince]);
  const filters = {
    since: lastValidSince.current || yesterday(),
    csmOwner: link.csmOwner ?? '',
    minScoreDrop: parseScoreDrop(link.minScoreDrop ?? '') ?? SCORE_DROP.default,
  };
  // A new filter starts again at the first page; a default leaves the link.
  const setFilter = (name: keyof typeof filters, value: string) => changeLink({ [name]: value, page: '' });
  // Local midnight of 1 Jan 1970 east of Greenwich is still 1969 in UTC, before what the server takes.
  const since = useMemo(() => new Date(Math.max(0, Date.parse(`${filters.since || yesterday()}T00:00:00`))).toISOString(), [filters.since]);
  const position = useLinkedPage(link, changeLink);
  const { connection, pages, error, fetching } = usePagedQuery(
    ChangesQuery,
    { since, csmOwner: filters.csmOwner.trim() || null, minScoreDrop: filters.minScoreDrop, first: PAGE_SIZE },
    (data) => data.changes,
    { position },
  );
  return (
    <section aria-labelledby="changes-title">
      <ScreenHeading id="changes-title" title="Changes">
        Changes since {sinceLabel(filters.since)}
      </ScreenHeading>
      <form class="filters" onSubmit={(event) => event.preventDefault()}>
        <SinceField applied={filters.since} refused={refusedSince} onValid={(day) => setFilter('since', day)} />
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

/**
 * The Since day: one out of range (a year typed as 1960, or `refused` in the link) stays as typed
 * and is said so; only a valid one reaches the list, whose day follows the link otherwise (back, a
 * shared link).
 */
function SinceField({ applied, refused, onValid }: { applied: string; refused: string | null; onValid(day: string): void }) {
  const [invalidDay, setInvalidDay] = useState<string | null>(refused);
  // A valid day applied (typed, or from the link) ends the refusal; a refused one in the link starts one.
  useEffect(() => setInvalidDay(null), [applied]);
  useEffect(() => {
    if (refused !== null) setInvalidDay(refused);
  }, [refused]);
  return (
    <>
      <label>
        Since
        <input
          type="date"
          min={SINCE_DAYS.min}
          max={SINCE_DAYS.max}
          value={invalidDay ?? applied}
          aria-invalid={invalidDay !== null}
          aria-describedby={invalidDay !== null ? 'since-error' : undefined}
          onChange={(event) => {
            const day = event.currentTarget.value;
            setInvalidDay(validSince(day) ? null : day);
            if (validSince(day)) onValid(day);
          }}
        />
      </label>
      {invalidDay !== null && (
        <p class="error field-error" role="alert" id="since-error">
          The day is from {formatDate(`${SINCE_DAYS.min}T00:00:00`)} to {formatDate(`${SINCE_DAYS.max}T00:00:00`)}; the list still uses{' '}
          {sinceLabel(applied)}.
        </p>
      )}
    </>
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
          <TierBadge tier={change.fromTier} /> → <TierBadge tier={change.toTier} />{' '}
        </>
      )}
      {change.fromScore ?? '—'} → {change.toScore ?? '—'}
    </>
  );
}

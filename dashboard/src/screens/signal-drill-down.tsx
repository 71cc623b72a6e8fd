// The raw records behind a signal: the events (or NPS answers) of its window up to the score's
// asOf, paged on the server; payments, tickets and plan changes are listed with the customer's
// records below, the window said here; "None." when its window holds none, as the other lists say.
// Close, or Escape within it, closes it.
import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { Loading } from '../components/badges';
import { PageError, Pager, PageStatus } from '../components/pager';
import type { ConnectionPage } from '../components/record-table';
import { TableScroll } from '../components/table-scroll';
import { countOf, formatCount, formatDateTime, humanise, nounFor } from '../format';
import { graphql } from '../gql';
import type { SignalEventsQuery as SignalEventsData, SignalNpsQuery as SignalNpsData } from '../gql/graphql';
import { usePagedQuery } from '../paged-query';
import { drillDownRange, recordsBehind, type SignalWindow } from '../signal-sources';
import { HEAVY_WALK_ROWS } from '../walk-rows';

const SignalEventsQuery = graphql(`
  query SignalEvents($id: ID!, $from: DateTime!, $to: DateTime!, $first: Int!, $after: String) {
    customer(id: $id) {
      engagementEvents(from: $from, to: $to, first: $first, after: $after) {
        totalCount
        pageInfo {
          hasNextPage
          endCursor
        }
        edges {
          node {
            id
            occurredAt
            eventType
            feature
            userId
          }
        }
      }
    }
  }
`);

const SignalNpsQuery = graphql(`
  query SignalNps($id: ID!, $from: DateTime!, $to: DateTime!, $first: Int!, $after: String) {
    npsResponses(customerId: $id, from: $from, to: $to, first: $first, after: $after) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        node {
          id
          respondedAt
          score
          respondent
          comment
        }
      }
    }
  }
`);

const PAGE_SIZE = 20;
type Events = NonNullable<NonNullable<SignalEventsData['customer']>['engagementEvents']>;
type NpsAnswers = NonNullable<SignalNpsData['npsResponses']>;

export function SignalDrillDown({
  customerId,
  window,
  asOf,
  onClose,
}: {
  customerId: string;
  window: SignalWindow;
  asOf: string;
  onClose(): void;
}) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), [window.name]);
  const { start, from, to } = drillDownRange(window, asOf);
  return (
    <section
      class="drill-down"
      aria-labelledby="drill-down-title"
      data-testid="drill-down"
      onKeyDown={(event) => {
        if (event.key === 'Escape') onClose();
      }}
    >
      <h3 id="drill-down-title" tabIndex={-1} ref={heading}>
        Behind “{humanise(window.name)}”{' '}
        <span class="muted">
          ({window.metric}, {countOf(window.days, 'day')} to {formatDateTime(asOf)})
        </span>
      </h3>
      <button type="button" onClick={onClose}>
        Close
      </button>
      {window.source === 'events' && <EventRows customerId={customerId} from={from} to={to} />}
      {window.source === 'nps' && <NpsRows customerId={customerId} from={from} to={to} />}
      {(window.source === 'payments' || window.source === 'tickets' || window.source === 'plan') && (
        <p>{recordsBehind(window, start, asOf, formatDateTime)}</p>
      )}
    </section>
  );
}

function EventRows({ customerId, from, to }: { customerId: string; from: string; to: string }) {
  const {
    connection: events,
    pages,
    error,
    askingAgain,
  } = usePagedQuery(SignalEventsQuery, { id: customerId, from, to, first: PAGE_SIZE }, (data) => data.customer?.engagementEvents, {
    customerId,
  });
  return (
    <DrillDownPage paged={{ pages, error, askingAgain }} connection={events} label="Events">
      {(shown) => <EventTable events={shown} />}
    </DrillDownPage>
  );
}

function EventTable({ events }: { events: Events }) {
  return (
    <TableScroll label="Events">
      <table data-testid="raw-events">
        <caption>
          <span data-testid="raw-events-total">{formatCount(events.totalCount)}</span> {nounFor(events.totalCount, 'event')}
        </caption>
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Event</th>
            <th scope="col">Feature</th>
            <th scope="col">User</th>
          </tr>
        </thead>
        <tbody>
          {events.edges.map(({ node }) => (
            <tr key={node.id} data-event-id={node.id}>
              <td>{formatDateTime(node.occurredAt)}</td>
              <td>{node.eventType}</td>
              <td class="wraps">{node.feature ? <bdi>{node.feature}</bdi> : '—'}</td>
              <td class="wraps">{node.userId ? <bdi>{node.userId}</bdi> : '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableScroll>
  );
}

function NpsRows({ customerId, from, to }: { customerId: string; from: string; to: string }) {
  const {
    connection: answers,
    pages,
    error,
    askingAgain,
  } = usePagedQuery(SignalNpsQuery, { id: customerId, from, to, first: PAGE_SIZE }, (data) => data.npsResponses, {
    customerId,
    walkRows: HEAVY_WALK_ROWS,
  });
  return (
    // The customer page lists its NPS answers with a pager too: its landmark needs another name.
    <DrillDownPage paged={{ pages, error, askingAgain }} connection={answers} label="NPS answers behind the signal">
      {(shown) => <NpsList answers={shown} />}
    </DrillDownPage>
  );
}

/**
 * One page of the records behind a signal: its status for screen readers, its error, the records
 * (`children`, or "None." for an empty window) and its pager named `label`.
 */
function DrillDownPage<Connection extends ConnectionPage<unknown>>({
  paged: { pages, error, askingAgain },
  connection,
  label,
  children,
}: {
  paged: Pick<ReturnType<typeof usePagedQuery>, 'pages' | 'error' | 'askingAgain'>;
  connection: Connection | undefined;
  label: string;
  children: (connection: Connection) => ComponentChildren;
}) {
  return (
    <>
      <PageStatus page={pages.page} pageSize={PAGE_SIZE} connection={connection} />
      <PageError pages={pages} error={error} askingAgain={askingAgain} />
      {!error && !connection && <Loading />}
      {connection && connection.totalCount === 0 && <p class="muted">None.</p>}
      {connection && connection.totalCount > 0 && children(connection)}
      {connection && (
        <Pager
          pages={pages}
          pageSize={PAGE_SIZE}
          shown={connection.edges.length}
          totalCount={connection.totalCount}
          hasNextPage={connection.pageInfo.hasNextPage}
          endCursor={connection.pageInfo.endCursor}
          label={label}
        />
      )}
    </>
  );
}

function NpsList({ answers }: { answers: NpsAnswers }) {
  return (
    <ul class="wrapping-list" data-testid="raw-nps">
      {answers.edges.map(({ node }) => (
        <li key={node.id}>
          {formatDateTime(node.respondedAt)}: <strong>{node.score}</strong>{' '}
          {node.respondent && (
            <>
              from <bdi>{node.respondent}</bdi>
            </>
          )}{' '}
          {node.comment && (
            <>
              “<bdi>{node.comment}</bdi>”
            </>
          )}
        </li>
      ))}
    </ul>
  );
}

// Every score of a customer, latest first, paged on the server: the score chart's text alternative
// beyond its summary, older scores than the chart's window too. Closed until asked for (a year of
// hourly scores is long); its first page is asked for with the page, so that its count is known.
import { TierBadge } from '../components/badges';
import { RecordTable } from '../components/record-table';
import { formatDateTime } from '../format';
import { graphql } from '../gql';
import { usePagedQuery } from '../paged-query';

const PAGE_SIZE = 25;

const ScoresQuery = graphql(`
  query CustomerScores($id: ID!, $first: Int!, $after: String) {
    customer(id: $id) {
      scoreHistory(first: $first, after: $after) {
        totalCount
        pageInfo {
          hasNextPage
          endCursor
        }
        edges {
          node {
            id
            asOf
            score
            tier
            modelVersion
          }
        }
      }
    }
  }
`);

export function ScoreTable({ customerId }: { customerId: string }) {
  const paged = usePagedQuery(ScoresQuery, { id: customerId, first: PAGE_SIZE }, (data) => data.customer?.scoreHistory, { customerId });
  return (
    <details class="score-table">
      <summary>Show every score as a table</summary>
      <RecordTable
        title="Scores, latest first"
        testId="score-table"
        {...paged}
        pageSize={PAGE_SIZE}
        columns={[
          { header: 'When', cell: (row) => formatDateTime(row.asOf) },
          { header: 'Score', cell: (row) => row.score, numeric: true },
          { header: 'Tier', cell: (row) => <TierBadge tier={row.tier} /> },
          { header: 'Model', cell: (row) => `v${row.modelVersion}`, numeric: true },
        ]}
      />
    </details>
  );
}

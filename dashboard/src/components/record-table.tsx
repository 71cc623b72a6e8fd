// A titled, paged table of one kind of record (a connection of the graph), its columns given as
// header and cell renderer.
import type { CombinedError } from '@urql/core';
import type { ComponentChildren } from 'preact';
import type { AskingAgain } from '../ask-again';
import { formatCount } from '../format';
import { Loading } from './badges';
import { PageError, Pager, PageStatus, type PageState } from './pager';
import { TableScroll } from './table-scroll';

export interface Column<Row> {
  header: string;
  cell(row: Row): ComponentChildren;
  numeric?: boolean;
  /** Text from other systems (names, ids, comments): wraps anywhere rather than widen the table. */
  wraps?: boolean;
}

function cellClass({ numeric, wraps }: { numeric?: boolean; wraps?: boolean }): string | undefined {
  return [numeric && 'number', wraps && 'wraps'].filter(Boolean).join(' ') || undefined;
}

export interface ConnectionPage<Row> {
  totalCount: number;
  pageInfo: { hasNextPage: boolean; endCursor?: string | null };
  edges: Array<{ node: Row }>;
}

export function RecordTable<Row extends { id: string }>(props: {
  title: string;
  testId: string;
  pages: PageState;
  pageSize: number;
  connection: ConnectionPage<Row> | undefined;
  columns: Array<Column<Row>>;
  error?: CombinedError;
  /** How the failed request is asked again, if it is (ask-again.ts). */
  askingAgain?: AskingAgain;
  /** Whether the page is being asked for: until it comes, a loading note stands in for the table. */
  fetching?: boolean;
}) {
  const { title, testId, pages, pageSize, connection, columns, error, askingAgain, fetching } = props;
  return (
    <section class="records" aria-label={title}>
      <h2>
        {title} {connection && <span class="muted">({formatCount(connection.totalCount)})</span>}
      </h2>
      <PageStatus page={pages.page} pageSize={pageSize} connection={connection} />
      <PageError pages={pages} error={error} askingAgain={askingAgain} />
      {!connection && !error && fetching && <Loading />}
      {connection && connection.totalCount === 0 && <p class="muted">None.</p>}
      {connection && connection.totalCount > 0 && (
        <>
          <TableScroll label={title}>
            <table data-testid={testId}>
              <thead>
                <tr>
                  {columns.map((column) => (
                    <th key={column.header} scope="col" class={column.numeric ? 'number' : undefined}>
                      {column.header}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {connection.edges.map(({ node }) => (
                  <tr key={node.id} data-id={node.id}>
                    {columns.map((column) => (
                      <td key={column.header} class={cellClass(column)}>
                        {column.cell(node)}
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </TableScroll>
          <Pager
            pages={pages}
            pageSize={pageSize}
            shown={connection.edges.length}
            totalCount={connection.totalCount}
            hasNextPage={connection.pageInfo.hasNextPage}
            endCursor={connection.pageInfo.endCursor}
            label={title}
          />
        </>
      )}
    </section>
  );
}

// A titled, paged table of one kind of record (a connection of the graph), its columns given as
// header and cell renderer.
import type { ComponentChildren } from 'preact';
import { Pager, type PageState } from './pager';

export interface Column<Row> {
  header: string;
  cell(row: Row): ComponentChildren;
  numeric?: boolean;
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
  error?: { message: string };
}) {
  const { title, testId, pages, pageSize, connection, columns, error } = props;
  return (
    <section class="records" aria-label={title}>
      <h2>
        {title} {connection && <span class="muted">({connection.totalCount})</span>}
      </h2>
      {error && <p role="alert">{error.message}</p>}
      {connection && connection.totalCount === 0 && <p class="muted">None.</p>}
      {connection && connection.totalCount > 0 && (
        <>
          <div class="table-scroll">
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
                      <td key={column.header} class={column.numeric ? 'number' : undefined}>
                        {column.cell(node)}
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
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

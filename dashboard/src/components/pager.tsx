// Server-side paging with the graph's cursors: a stack of the cursors of the pages already seen, so
// Previous goes back without the server having to page backwards.
import { useState } from 'preact/hooks';

export interface PageState {
  after: string | null;
  /** 0-based page number. */
  page: number;
  next(endCursor: string | null | undefined): void;
  previous(): void;
  reset(): void;
}

export function usePages(): PageState {
  const [cursors, setCursors] = useState<Array<string | null>>([null]);
  return {
    after: cursors[cursors.length - 1],
    page: cursors.length - 1,
    next: (endCursor) => endCursor && setCursors([...cursors, endCursor]),
    previous: () => cursors.length > 1 && setCursors(cursors.slice(0, -1)),
    reset: () => setCursors([null]),
  };
}

export function Pager(props: {
  pages: PageState;
  pageSize: number;
  shown: number;
  totalCount: number;
  hasNextPage: boolean;
  endCursor?: string | null;
  label: string;
}) {
  const { pages, pageSize, shown, totalCount, hasNextPage, endCursor, label } = props;
  const first = totalCount === 0 ? 0 : pages.page * pageSize + 1;
  return (
    <nav class="pager" aria-label={`${label} pages`}>
      <button type="button" onClick={pages.previous} disabled={pages.page === 0}>
        ← Previous
      </button>
      <span data-testid="page-range">
        {first}–{pages.page * pageSize + shown} of {totalCount}
      </span>
      <button type="button" onClick={() => pages.next(endCursor)} disabled={!hasNextPage}>
        Next →
      </button>
    </nav>
  );
}

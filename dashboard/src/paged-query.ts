// A paged list's live query. Its page comes by number (a link, a reload, browser back) as well as
// by Next: a page whose cursor is not known yet is found by walking the list in a few large
// requests from the nearest page that is known. A page that a live change or an old link leaves
// past the end of the list gives way to the last page that has rows. A walk or a page that failed
// for a reason that passes is asked again (ask-again.ts).
import { createRequest, type AnyVariables, type CombinedError, type DocumentInput } from '@urql/core';
import { useClient } from '@urql/preact';
import { useEffect, useState } from 'preact/hooks';
import { useAskingAgain, type AskingAgain } from './ask-again';
import { lastPageIndex, usePages, type PagePosition, type PageState } from './components/pager';
import type { ConnectionPage } from './components/record-table';
import { useLiveQuery } from './live-query';
import { MAX_WALK_ROWS } from './walk-rows';

type PagedVariables = { first: number; after?: string | null };

export function usePagedQuery<Data, Variables extends AnyVariables & PagedVariables, Connection extends ConnectionPage<unknown>>(
  query: DocumentInput<Data, Variables>,
  variables: Variables,
  connectionOf: (data: Data) => Connection | null | undefined,
  {
    position,
    customerId,
    walkRows = MAX_WALK_ROWS,
  }: {
    position?: PagePosition;
    customerId?: string;
    /** The most rows one request of a walk asks for (walk-rows.ts). */
    walkRows?: number;
  } = {},
) {
  const pageSize = variables.first;
  const list = String(createRequest(query, { ...variables, after: null }).key);
  const pages = usePages(list, position);
  const walk = usePageWalk(pages, list, (after, first) => ({ query, variables: { ...variables, first, after } }), connectionOf, {
    pageSize,
    walkRows,
  });
  const result = useLiveQuery(query, { ...variables, after: pages.after ?? null }, { pause: pages.after === undefined, customerId });
  // A root field is null when it failed (its error is in result.error): no page to show.
  const connection = (result.data && connectionOf(result.data)) ?? undefined;
  useEffect(() => {
    if (connection && connection.edges.length === 0 && pages.page > 0)
      pages.goTo(Math.min(pages.page - 1, lastPageIndex(connection.totalCount, pageSize)));
  }, [connection]);
  return {
    connection,
    pages,
    error: walk.error ?? result.error,
    askingAgain: walk.error ? walk.askingAgain : result.askingAgain,
    fetching: walk.walking || result.fetching,
  };
}

/** Finds the cursor of the page asked for when it is not known; goes to the last page instead when the list ends before it. */
function usePageWalk<Data, Variables extends AnyVariables>(
  pages: PageState,
  list: string,
  request: (after: string | null, first: number) => { query: DocumentInput<Data, Variables>; variables: Variables },
  connectionOf: (data: Data) => ConnectionPage<unknown> | null | undefined,
  { pageSize, walkRows }: { pageSize: number; walkRows: number },
): { walking: boolean; error: CombinedError | undefined; askingAgain: AskingAgain | undefined } {
  const client = useClient();
  const [error, setError] = useState<CombinedError | undefined>(undefined);
  // Each walk asked again after a failed step starts again from the nearest page known.
  const [attempt, setAttempt] = useState(0);
  const walking = pages.after === undefined;
  // Not busy while its error is shown (a walk stops at its failed step); asked again meanwhile, the walk starts over.
  const askingAgain = useAskingAgain(walking ? error : undefined, false, () => setAttempt((count) => count + 1));
  useEffect(() => {
    if (!walking) return;
    let cancelled = false;
    const target = pages.page;
    const walkFrom = async ({ page, after }: { page: number; after: string | null }) => {
      const span = Math.min(target - page, Math.max(1, Math.floor(walkRows / pageSize)));
      const { query, variables } = request(after, span * pageSize);
      const result = await client.query(query, variables, { requestPolicy: 'network-only' }).toPromise();
      if (cancelled) return;
      const connection = (result.data && connectionOf(result.data)) ?? undefined;
      setError(connection ? undefined : result.error);
      if (!connection) return;
      const last = lastPageIndex(connection.totalCount, pageSize);
      const endCursor = connection.pageInfo.endCursor;
      if (target > last) {
        // The list ends before the page asked for: its last page, walked to from here if this step ended before it.
        if (connection.pageInfo.hasNextPage && endCursor && page + span <= last) pages.learn(page + span, endCursor);
        return pages.goTo(last);
      }
      if (!connection.pageInfo.hasNextPage || !endCursor) return pages.goTo(Math.min(target, last, page + span - 1));
      if (page + span === target) return pages.learn(target, endCursor);
      pages.learn(page + span, endCursor);
      await walkFrom({ page: page + span, after: endCursor });
    };
    void walkFrom(pages.nearestKnown(target));
    return () => {
      cancelled = true;
    };
  }, [walking, pages.page, list, attempt]);
  // An error of an earlier walk is no error of the page shown now.
  return { walking, error: walking ? error : undefined, askingAgain };
}

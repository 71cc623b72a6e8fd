// Server-side paging with the graph's cursors. A page is known by its number (kept in the link by
// the list screens); the cursor it starts after is remembered once seen, per list and filters, so
// Previous, browser back and a return to the list need no request to find it again. The Pager
// keeps the keyboard focus on itself across a page change, though its buttons are replaced or
// disabled meanwhile; when the page cannot load, the error in its place takes the focus (PageError).
// The rows of a page turned to are said to screen readers (PageStatus).
import type { CombinedError } from '@urql/core';
import type { RefObject } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { AskingAgain } from '../ask-again';
import { formatCount } from '../format';
import { ErrorNote, focusLost } from './badges';

type PagerButton = 'previous' | 'next';

export interface PageState {
  /** 0-based page number. */
  page: number;
  /** The cursor the page starts after: null for the first page, undefined while not known yet. */
  after: string | null | undefined;
  next(endCursor: string | null | undefined): void;
  previous(): void;
  goTo(page: number): void;
  /** Remembers the cursor page `page` starts after (found by walking the list from an earlier page). */
  learn(page: number, after: string): void;
  /** The nearest page at or before `page` whose cursor is known, and that cursor. */
  nearestKnown(page: number): { page: number; after: string | null };
  /** The pager button that asked for the page being loaded: it gets the focus back once the page is shown. */
  focusAfterChange: RefObject<PagerButton | null>;
}

/** Where the page number is kept: in the link for a list screen, in the component otherwise. */
export interface PagePosition {
  page: number;
  /** `newEntry`: the user turned the page (Next, Previous), which browser back should undo; not a correction of the list's own. */
  setPage(page: number, how?: { newEntry?: boolean }): void;
}

/** How many lists' cursors are kept: a long-open tab forgets the oldest. */
const REMEMBERED_LISTS = 100;
const cursorsByList = new Map<string, Array<string | null | undefined>>();

function cursorsOf(list: string): Array<string | null | undefined> {
  let cursors = cursorsByList.get(list);
  if (!cursors) {
    if (cursorsByList.size >= REMEMBERED_LISTS) cursorsByList.delete(cursorsByList.keys().next().value!);
    cursors = [null];
    cursorsByList.set(list, cursors);
  }
  return cursors;
}

/** The 0-based number of the last page that has rows (the first when there are none). */
export function lastPageIndex(totalCount: number, pageSize: number): number {
  return Math.max(0, Math.ceil(totalCount / pageSize) - 1);
}

/** The pages of `list` (a list and its filters); at page 0 whenever the list changes, unless `position` keeps the page. */
export function usePages(list: string, position?: PagePosition): PageState {
  const [local, setLocal] = useState({ list, page: 0 });
  const [, setLearned] = useState(0);
  const focusAfterChange = useRef<PagerButton | null>(null);
  const page = position ? position.page : local.list === list ? local.page : 0;
  const setPage: PagePosition['setPage'] = position ? position.setPage : (next) => setLocal({ list, page: next });
  const cursors = cursorsOf(list);
  return {
    page,
    after: cursors[page],
    next(endCursor) {
      if (!endCursor) return;
      cursors[page + 1] = endCursor;
      focusAfterChange.current = 'next';
      setPage(page + 1, { newEntry: true });
    },
    previous() {
      if (page === 0) return;
      focusAfterChange.current = 'previous';
      setPage(page - 1, { newEntry: true });
    },
    goTo: (next) => setPage(next),
    learn(at, after) {
      cursors[at] = after;
      setLearned((count) => count + 1);
    },
    nearestKnown(at) {
      let known = Math.min(at, cursors.length - 1);
      while (cursors[known] === undefined) known--;
      return { page: known, after: cursors[known] ?? null };
    },
    focusAfterChange,
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
  const first = pages.page * pageSize + 1;
  const navigation = useRef<HTMLElement>(null);
  const buttons = { previous: useRef<HTMLButtonElement>(null), next: useRef<HTMLButtonElement>(null) };
  useEffect(() => {
    const wanted = pages.focusAfterChange.current;
    if (!wanted || !navigation.current) return;
    pages.focusAfterChange.current = null;
    // Unless the user has moved on meanwhile: the button they pressed, or another when it is disabled now.
    const focused = document.activeElement;
    if (focused && focused !== document.body && !navigation.current.contains(focused)) return;
    const order = wanted === 'next' ? [buttons.next, buttons.previous] : [buttons.previous, buttons.next];
    (order.find((button) => button.current && !button.current.disabled)?.current ?? navigation.current).focus();
  });
  // An empty list has no pages: "0–0 of 0" and two disabled buttons would say nothing under its empty-state words.
  if (totalCount === 0) return null;
  return (
    <nav class="pager" aria-label={`${label} pages`} ref={navigation} tabIndex={-1}>
      <button type="button" ref={buttons.previous} onClick={pages.previous} disabled={pages.page === 0}>
        ← Previous
      </button>
      <span data-testid="page-range">
        {formatCount(first)}–{formatCount(pages.page * pageSize + shown)} of {formatCount(totalCount)}
      </span>
      <button type="button" ref={buttons.next} onClick={() => pages.next(endCursor)} disabled={!hasNextPage}>
        Next →
      </button>
    </nav>
  );
}

/**
 * A list's error, shown in place of its page and pager. When the page was asked for with the pager,
 * which went away with the page, the error takes the focus rather than leave it on the document's
 * start; the request asked again (by itself, or with Try again) brings the pager, which takes it back.
 */
export function PageError({
  pages,
  error,
  askingAgain,
}: {
  pages: PageState;
  error: CombinedError | undefined;
  askingAgain?: AskingAgain;
}) {
  const note = useRef<HTMLParagraphElement>(null);
  useEffect(() => {
    if (error && pages.focusAfterChange.current && note.current && focusLost()) note.current.focus();
  });
  // Try again, pressed from the keyboard, hands the focus to the pager the page brings.
  const askAgain = askingAgain && {
    ...askingAgain,
    now() {
      pages.focusAfterChange.current ??= 'next';
      askingAgain.now();
    },
  };
  return <ErrorNote error={error} askingAgain={askAgain} noteRef={note} keepFocusOnAnswer={false} />;
}

/**
 * What a page turned to says of its rows; the same words at each live refetch, so that nothing is said
 * again. Nothing for a page without rows (an old link's page of a list now empty, which gives way to
 * its first): the list says it is empty.
 */
function usePageRows(page: number, pageSize: number, connection: ShownPage | undefined): string {
  const said = useRef({ page, text: '' });
  if (page !== said.current.page && connection) {
    const first = page * pageSize + 1;
    const rows = connection.edges.length;
    said.current = {
      page,
      text: rows === 0 ? '' : `Rows ${formatCount(first)}–${formatCount(first + rows - 1)} of ${formatCount(connection.totalCount)}`,
    };
  }
  return said.current.text;
}

/** A page of a list as shown: its rows and how many the whole list has. */
interface ShownPage {
  totalCount: number;
  edges: readonly unknown[];
}

/**
 * A polite status region, on the page as long as the list is, saying which rows a page turned to
 * holds once they are shown (the range the pager shows); nothing for the page the list opened at.
 */
export function PageStatus({ page, pageSize, connection }: { page: number; pageSize: number; connection: ShownPage | undefined }) {
  return (
    <p role="status" class="visually-hidden" data-testid="page-status">
      {usePageRows(page, pageSize, connection)}
    </p>
  );
}

// Every screen's h1. It names the browser tab after the screen, and when the screen was reached by
// following a link it takes the focus, so keyboard and screen-reader users start at the new
// screen's title instead of at the top of the document (a hash change moves focus nowhere).
import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { navigatedSinceLoad } from '../router';

const APP_NAME = 'healthgraph';

export function ScreenHeading({ id, title, children }: { id?: string; title: string; children?: ComponentChildren }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${title} — ${APP_NAME}`;
  }, [title]);
  useEffect(() => {
    // Not on the page's first load (the skip link comes first), nor once the user has moved into the screen.
    if (navigatedSinceLoad() && !focusIsInScreen()) heading.current?.focus();
  }, []);
  return (
    <h1 id={id} tabIndex={-1} ref={heading}>
      {children ?? title}
    </h1>
  );
}

function focusIsInScreen(): boolean {
  const main = document.getElementById('main');
  const focused = document.activeElement;
  return main !== null && focused !== main && main.contains(focused);
}

// Where a link that leads nowhere ends: what was asked for, and the way back to the worklist.
import type { ComponentChildren } from 'preact';
import { ScreenHeading } from '../components/screen-heading';

export function NotFoundScreen({ title, children }: { title: string; children: ComponentChildren }) {
  return (
    <section aria-labelledby="not-found-title" data-testid="not-found">
      <ScreenHeading id="not-found-title" title={title} />
      <p class="wrapping-text">{children}</p>
      <p>
        <a href="#/worklist">Back to the worklist</a> or <a href="#/">the overview</a>.
      </p>
    </section>
  );
}

// A table's own horizontal scroll box, so that a wide table scrolls in it and the page itself never
// scrolls sideways. While the table is wider than the box, the box joins the tab order as a named
// region, so that keyboard users can scroll it too (a table without links offers nothing else to focus).
// The region is named "<label> table": a section around it is often named by the same label, and
// two landmarks of one name cannot be told apart.
import type { ComponentChildren } from 'preact';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';

export function TableScroll({ label, children }: { label: string; children: ComponentChildren }) {
  const box = useRef<HTMLDivElement>(null);
  const [scrolls, setScrolls] = useState(false);
  const measure = () => {
    const element = box.current;
    if (element) setScrolls(element.scrollWidth > element.clientWidth);
  };
  // Measured as soon as the rows are laid out, so that a table that overflows when it first appears
  // is a focusable region from then on, not only once a resize observer's callback has come.
  useLayoutEffect(measure);
  useEffect(() => {
    const element = box.current;
    if (!element) return;
    // The box resizes with the window, the table with its rows: either can start or end the overflow.
    const observer = new ResizeObserver(measure);
    observer.observe(element);
    if (element.firstElementChild) observer.observe(element.firstElementChild);
    return () => observer.disconnect();
  }, []);
  return (
    <div
      ref={box}
      class="table-scroll"
      tabIndex={scrolls ? 0 : undefined}
      role={scrolls ? 'region' : undefined}
      aria-label={scrolls ? `${label} table` : undefined}
    >
      {children}
    </div>
  );
}

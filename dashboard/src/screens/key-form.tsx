// Asked when the server requires a key: the key is checked, then kept for this tab's session only.
import { useEffect, useRef, useState } from 'preact/hooks';

export function KeyForm({ reason, onSubmit }: { reason: string; onSubmit(key: string): Promise<void> }) {
  const [key, setKey] = useState('');
  const [busy, setBusy] = useState(false);
  const field = useRef<HTMLInputElement>(null);
  // autofocus works on a page's first load only. Asked again (Forget key, a revoked key), the button
  // or screen that had the focus is gone: the field takes it, not the document's start.
  useEffect(() => field.current?.focus(), []);
  return (
    <main class="key-gate">
      <h1>healthgraph</h1>
      <form
        onSubmit={async (event) => {
          event.preventDefault();
          if (!key.trim()) return;
          setBusy(true);
          await onSubmit(key.trim());
          setBusy(false);
          // Still here: the key was refused. The button pressed was disabled meanwhile and lost the
          // focus; the field takes it, its key selected, to be typed again.
          field.current?.select();
        }}
      >
        <p role="alert">{reason}</p>
        <label for="api-key">API key (a read key is enough to view; admin shows the model tools)</label>
        <input
          id="api-key"
          type="password"
          autoComplete="off"
          spellcheck={false}
          placeholder="hg_…"
          value={key}
          onInput={(event) => setKey(event.currentTarget.value)}
          ref={field}
        />
        <button type="submit" disabled={busy}>
          {busy ? 'Checking…' : 'Open the dashboard'}
        </button>
        <p class="muted">The key is kept for this browser tab only (sessionStorage) and sent with every request.</p>
      </form>
    </main>
  );
}

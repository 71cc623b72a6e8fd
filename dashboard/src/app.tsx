// The shell: the key gate, then the navigation, the live indicator and the screen of the route, and
// the time zone every date and time is written in (the browser's: days.ts).
import { Provider } from '@urql/preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { askAgainNow } from './ask-again';
import { createGraphQLClient, createWebSocket } from './client';
import { AsOfNote, LiveIndicator } from './components/live-indicator';
import { TIME_ZONE } from './days';
import { LiveUpdates } from './live';
import { SessionContext, type Session } from './live-query';
import { focusScreenOnceOpened, useRoute } from './router';
import { ChangesScreen } from './screens/changes';
import { CustomerScreen } from './screens/customer';
import { CustomersScreen } from './screens/customers';
import { KeyForm } from './screens/key-form';
import { ModelScreen } from './screens/model';
import { NotFoundScreen } from './screens/not-found';
import { OutreachScreen } from './screens/outreach';
import { OverviewScreen } from './screens/overview';
import { WorklistScreen } from './screens/worklist';
import { checkKey, refusedKeyReason, storedKey, storeKey, type Viewer } from './session';

type Gate = { kind: 'checking' } | { kind: 'needs-key'; reason: string } | { kind: 'ready'; key: string | null; viewer: Viewer };

export function App() {
  const [gate, setGate] = useState<Gate>({ kind: 'checking' });
  // A refusal that ends by itself (429) has the key checked again at its end, unless another is entered first.
  const retry = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  const tryKey = async (key: string | null) => {
    clearTimeout(retry.current);
    try {
      const check = await checkKey(key);
      if (check.kind === 'ok') {
        storeKey(key);
        setGate({ kind: 'ready', key, viewer: check.viewer });
        return;
      }
      // Only a key the server says is wrong or revoked is forgotten: a reload while its budget is spent keeps it.
      if (check.keyRefused) storeKey(null);
      setGate({ kind: 'needs-key', reason: check.reason });
      if (check.retryAfterSeconds !== undefined) retry.current = setTimeout(() => void tryKey(key), check.retryAfterSeconds * 1000);
    } catch {
      // No usable answer came back (server down, connection cut, a proxy's error page).
      setGate({ kind: 'needs-key', reason: 'Cannot reach the server: reload the page once it is running again.' });
    }
  };

  useEffect(() => {
    void tryKey(storedKey());
    return () => clearTimeout(retry.current);
  }, []);

  if (gate.kind === 'checking') return <p class="loading">Connecting…</p>;
  if (gate.kind === 'needs-key')
    return (
      <KeyForm
        reason={gate.reason}
        onSubmit={(key) => {
          focusScreenOnceOpened();
          return tryKey(key);
        }}
      />
    );
  return (
    <Dashboard
      key={gate.key ?? ''}
      apiKey={gate.key}
      viewer={gate.viewer}
      onForget={(reason) => {
        storeKey(null);
        setGate({ kind: 'needs-key', reason });
      }}
    />
  );
}

function Dashboard({ apiKey, viewer, onForget }: { apiKey: string | null; viewer: Viewer; onForget(reason: string): void }) {
  const live = useMemo(() => new LiveUpdates(), []);
  const client = useMemo(() => {
    const webSocket = createWebSocket(apiKey, {
      onStatus: (status) => (status === 'unauthorized' ? onForget(refusedKeyReason(apiKey, 'while-open')) : live.setStatus(status)),
      onConnected: (reconnected) => void live.connected(reconnected),
    });
    return { graphql: createGraphQLClient(apiKey, webSocket), webSocket };
  }, [apiKey]);
  useEffect(() => {
    live.start(client.graphql);
    return () => {
      live.stop();
      void client.webSocket.dispose();
    };
  }, [client]);
  const session: Session = { viewer, live, forgetKey: () => onForget('Key forgotten. Enter a key to continue.') };
  return (
    <Provider value={client.graphql}>
      <SessionContext.Provider value={session}>
        <Shell />
      </SessionContext.Provider>
    </Provider>
  );
}

const NAVIGATION = [
  { href: '#/', screen: 'overview', label: 'Overview' },
  { href: '#/worklist', screen: 'worklist', label: 'Worklist' },
  { href: '#/customers', screen: 'customers', label: 'Customers' },
  { href: '#/changes', screen: 'changes', label: 'Changes' },
  { href: '#/outreach', screen: 'outreach', label: 'Outreach log' },
  { href: '#/model', screen: 'model', label: 'Model' },
] as const;

function Shell() {
  const route = useRoute();
  return (
    <>
      {/* Not an anchor to #main: the hash is the route. */}
      <button type="button" class="skip-link" onClick={() => document.getElementById('main')?.focus()}>
        Skip to content
      </button>
      <header class="top">
        <span class="brand">healthgraph</span>
        <nav aria-label="Screens">
          <ul>
            {NAVIGATION.map((item) => (
              <li key={item.screen}>
                <a
                  href={item.href}
                  aria-current={route.screen === item.screen ? 'page' : undefined}
                  // The link of the screen shown changes no route: it asks the screen's failed requests again.
                  onClick={() => (location.hash || '#/') === item.href && askAgainNow()}
                >
                  {item.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <LiveIndicator />
      </header>
      <main id="main" tabIndex={-1}>
        <AsOfNote />
        {route.screen === 'overview' && <OverviewScreen />}
        {route.screen === 'worklist' && <WorklistScreen />}
        {route.screen === 'customers' && <CustomersScreen />}
        {route.screen === 'customer' && <CustomerScreen key={route.customerId} customerId={route.customerId} />}
        {route.screen === 'outreach' && <OutreachScreen />}
        {route.screen === 'changes' && <ChangesScreen />}
        {route.screen === 'model' && <ModelScreen />}
        {route.screen === 'not-found' && (
          <NotFoundScreen title="Page not found">No screen of the dashboard is at “#{route.path}”.</NotFoundScreen>
        )}
      </main>
      <footer class="time-zone" data-testid="time-zone">
        Dates and times in {TIME_ZONE}, this browser's time zone.
      </footer>
    </>
  );
}

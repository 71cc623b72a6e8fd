// The live connection, always visible in the header: live, connecting or reconnecting, and how
// many tier changes were caught up after the last reconnect or RESYNC.
import { useLive } from '../live';
import { useSession } from '../live-query';

const LABELS = { live: 'Live', connecting: 'Connecting…', reconnecting: 'Reconnecting…', unauthorized: 'Key refused' } as const;

export function LiveIndicator() {
  const { live, viewer, forgetKey } = useSession();
  const state = useLive(live);
  return (
    <div class="session">
      <span class={`live live-${state.status}`} role="status" data-testid="live-indicator" data-status={state.status}>
        <span class="dot" aria-hidden="true" />
        {LABELS[state.status]}
        {state.caughtUp !== null && <span class="muted"> · caught up {state.caughtUp}</span>}
      </span>
      <span class="muted" data-testid="viewer">
        {viewer.keyName ? (
          <>
            <bdi>{viewer.keyName}</bdi> ({viewer.scopes.join(', ').toLowerCase()})
          </>
        ) : (
          'local session'
        )}
      </span>
      {viewer.keyName && (
        <button type="button" class="link" onClick={forgetKey}>
          Forget key
        </button>
      )}
    </div>
  );
}

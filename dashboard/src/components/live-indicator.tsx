// The live connection, always visible in the header: live, connecting or reconnecting, and how
// many tier changes were caught up after the last reconnect or RESYNC ("nothing missed" for none); while it is lost, the screen
// says as of when what it shows is (AsOfNote).
import { formatCount, formatTime } from '../format';
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
        {state.caughtUp !== null && (
          <span class="muted"> · {state.caughtUp === 0 ? 'nothing missed' : `caught up ${formatCount(state.caughtUp)}`}</span>
        )}
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

/** While the connection is lost, above the screen: what it shows stopped following the live changes then. */
export function AsOfNote() {
  const { live } = useSession();
  const { status, lostAt } = useLive(live);
  if (status !== 'reconnecting' || lostAt === null) return null;
  return (
    <p class="as-of" data-testid="as-of">
      Reconnecting: what is shown is as of {formatTime(lostAt)}, and is brought up to date once the connection is back.
    </p>
  );
}

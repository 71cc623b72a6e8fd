// Whether a batch job may still start a send. A batch's sends span minutes, and meanwhile its
// destination may be paused or deleted, or a customer opt out or churn. A customer-facing send waits
// for an answer read after it asked, so an opt-out or a churn committed before then stops it; any
// other send takes an answer at most `maxAgeMs` old. The sends asking while a read is under way
// share the next read.

/** Why a customer-facing message is no longer sent to its customer: it opted out, or its churnedAt has come. */
export type WithholdReason = 'OPTED_OUT' | 'CHURNED';

/** What stops sends, as one read found it. */
export interface SendingState {
  /** The destination is neither paused nor deleted. */
  destinationActive: boolean;
  /** Those of the customers asked about who are sent no more customer-facing messages, and why. */
  withheldCustomers: ReadonlyMap<string, WithholdReason>;
}

/** Why a send may not start; null when it may. */
export type SendStop = 'DESTINATION_INACTIVE' | WithholdReason | null;

/**
 * Asks whether a send may start: `customerId` for a customer-facing message (its customer's opt-out
 * and churn are read again), null for a team one. Rejects when the read fails: the caller does not send.
 */
export type SendCheck = (customerId: string | null) => Promise<SendStop>;

interface Waiting {
  customerId: string | null;
  resolve: (state: SendingState) => void;
  reject: (error: unknown) => void;
}

/**
 * A batch job's check before each send. `read` answers for the customers given (none for team
 * messages only); `known` is what the job's loading statement found, `knownAt` when.
 */
export function createSendCheck(
  read: (customerIds: string[]) => Promise<SendingState>,
  maxAgeMs: number,
  known: { destinationActive: boolean; knownAt: number },
  now: () => number = Date.now,
): SendCheck {
  let latest = { destinationActive: known.destinationActive, at: known.knownAt };
  let waiting: Waiting[] = [];
  let reading = false;

  const readForWaiting = async (): Promise<void> => {
    if (reading || waiting.length === 0) return;
    reading = true;
    const asking = waiting;
    waiting = [];
    const startedAt = now();
    try {
      const customerIds = [...new Set(asking.flatMap((ask) => (ask.customerId === null ? [] : [ask.customerId])))];
      const state = await read(customerIds);
      latest = { destinationActive: state.destinationActive, at: startedAt };
      for (const ask of asking) ask.resolve(state);
    } catch (error) {
      for (const ask of asking) ask.reject(error);
    } finally {
      reading = false;
      void readForWaiting();
    }
  };

  return async (customerId) => {
    if (customerId === null && now() - latest.at < maxAgeMs) return latest.destinationActive ? null : 'DESTINATION_INACTIVE';
    const state = await new Promise<SendingState>((resolve, reject) => {
      waiting.push({ customerId, resolve, reject });
      void readForWaiting();
    });
    if (!state.destinationActive) return 'DESTINATION_INACTIVE';
    return customerId === null ? null : (state.withheldCustomers.get(customerId) ?? null);
  };
}

// The check a batch job makes before each send: a customer-facing send goes only on an answer read
// after it asked; sends asking together share one read; a team send takes a recent enough answer.
import { createSendCheck, SendingState } from '../../src/delivery/send-check';

interface Read {
  customerIds: string[];
  answer(state: Partial<SendingState>): void;
  fail(error: Error): void;
}

/** A read function whose answers the test gives, one read at a time. */
function controlledReads() {
  const reads: Read[] = [];
  const read = (customerIds: string[]) =>
    new Promise<SendingState>((resolve, reject) =>
      reads.push({
        customerIds,
        answer: (state) => resolve({ destinationActive: true, withheldCustomers: new Map(), ...state }),
        fail: reject,
      }),
    );
  return { reads, read };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('the check before each send of a batch', () => {
  it('reads the opt-out again for every customer-facing send, however recent the last read', async () => {
    const { reads, read } = controlledReads();
    const mayStart = createSendCheck(read, 1000, { destinationActive: true, knownAt: Date.now() });
    const first = mayStart('cust_a');
    await settle();
    expect(reads.map((r) => r.customerIds)).toEqual([['cust_a']]);
    reads[0].answer({});
    await expect(first).resolves.toBeNull();
    const second = mayStart('cust_a');
    await settle();
    expect(reads).toHaveLength(2);
    reads[1].answer({ withheldCustomers: new Map([['cust_a', 'OPTED_OUT']]) });
    await expect(second).resolves.toBe('OPTED_OUT');
  });

  it('stops a customer-facing send whose customer has churned, as one whose customer opted out, and no team send', async () => {
    const { reads, read } = controlledReads();
    const mayStart = createSendCheck(read, 1000, { destinationActive: true, knownAt: Date.now() });
    const toChurned = mayStart('cust_a');
    await settle();
    reads[0].answer({ withheldCustomers: new Map([['cust_a', 'CHURNED']]) });
    await expect(toChurned).resolves.toBe('CHURNED');
    await expect(mayStart(null)).resolves.toBeNull();
  });

  it('does not answer a send with a read that was already under way when it asked: it waits for the next', async () => {
    const { reads, read } = controlledReads();
    const mayStart = createSendCheck(read, 1000, { destinationActive: true, knownAt: Date.now() });
    const early = mayStart('cust_a');
    await settle();
    // cust_b asks while the first read is under way: an opt-out committed just before it asked may
    // not be in that read's snapshot.
    const late = mayStart('cust_b');
    const lateToo = mayStart('cust_c');
    await settle();
    expect(reads).toHaveLength(1);
    reads[0].answer({});
    await expect(early).resolves.toBeNull();
    await settle();
    // The sends that asked meanwhile share the next read.
    expect(reads.map((r) => r.customerIds)).toEqual([['cust_a'], ['cust_b', 'cust_c']]);
    reads[1].answer({ withheldCustomers: new Map([['cust_c', 'OPTED_OUT']]) });
    await expect(late).resolves.toBeNull();
    await expect(lateToo).resolves.toBe('OPTED_OUT');
  });

  it('lets a team send go on an answer under maxAgeMs old, and reads again past it', async () => {
    const { reads, read } = controlledReads();
    let now = 0;
    const mayStart = createSendCheck(read, 1000, { destinationActive: true, knownAt: 0 }, () => now);
    now = 999;
    await expect(mayStart(null)).resolves.toBeNull();
    expect(reads).toHaveLength(0);
    now = 1000;
    const stale = mayStart(null);
    await settle();
    expect(reads.map((r) => r.customerIds)).toEqual([[]]);
    reads[0].answer({ destinationActive: false });
    await expect(stale).resolves.toBe('DESTINATION_INACTIVE');
    // The read refreshed what team sends go on.
    await expect(mayStart(null)).resolves.toBe('DESTINATION_INACTIVE');
    expect(reads).toHaveLength(1);
  });

  it('stops every send once the destination is paused or deleted, customer-facing ones included', async () => {
    const { reads, read } = controlledReads();
    const mayStart = createSendCheck(read, 1000, { destinationActive: true, knownAt: Date.now() });
    const send = mayStart('cust_a');
    await settle();
    reads[0].answer({ destinationActive: false, withheldCustomers: new Map([['cust_a', 'OPTED_OUT']]) });
    await expect(send).resolves.toBe('DESTINATION_INACTIVE');
  });

  it('fails the sends that waited for a read that failed, and reads afresh for the next', async () => {
    const { reads, read } = controlledReads();
    const mayStart = createSendCheck(read, 1000, { destinationActive: true, knownAt: Date.now() });
    const send = mayStart('cust_a');
    await settle();
    reads[0].fail(new Error('connection lost'));
    await expect(send).rejects.toThrow('connection lost');
    const again = mayStart('cust_a');
    await settle();
    expect(reads).toHaveLength(2);
    reads[1].answer({});
    await expect(again).resolves.toBeNull();
  });
});

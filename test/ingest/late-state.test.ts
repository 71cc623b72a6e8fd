// A change dated before a record's current state goes into its history at its own date, until the
// next recorded change; the state it interrupted holds before it (and after that change).
import { EndedState, withLateState } from '../../src/ingest/late-state';

const day = (d: number) => new Date(Date.UTC(2026, 10, d));
const same = (a: string, b: string) => a === b;
const brings = (state: string) => () => state;
/** The history as `state@day it ended`. */
const read = (history: EndedState<string>[] | null) => history?.map((entry) => `${entry.state}@${entry.endedAt.getUTCDate()}`) ?? null;

describe('withLateState', () => {
  it('puts a late state between its date and the date of the current state, the current one before it', () => {
    // PAID since the 3rd, nothing recorded before; a failure of the 1st arrives.
    expect(read(withLateState([], { state: 'PAID', since: day(3) }, { at: day(1), from: brings('FAILED') }, same))).toEqual([
      'PAID@1',
      'FAILED@3',
    ]);
  });

  it('splits the state that held at its date: that one until then, the late one until it ended', () => {
    const history = [
      { state: 'A', endedAt: day(10) },
      { state: 'B', endedAt: day(20) },
    ];
    expect(read(withLateState(history, { state: 'C', since: day(20) }, { at: day(5), from: brings('L') }, same))).toEqual([
      'A@5',
      'L@10',
      'B@20',
    ]);
    expect(read(withLateState(history, { state: 'C', since: day(20) }, { at: day(15), from: brings('L') }, same))).toEqual([
      'A@10',
      'B@15',
      'L@20',
    ]);
  });

  it('replaces a state that took effect at the same instant', () => {
    const history = [
      { state: 'A', endedAt: day(10) },
      { state: 'B', endedAt: day(20) },
    ];
    expect(read(withLateState(history, { state: 'C', since: day(20) }, { at: day(10), from: brings('L') }, same))).toEqual([
      'A@10',
      'L@20',
    ]);
  });

  it('changes nothing when the state that held then is the one it brings: the same late change sent twice is recorded once', () => {
    const once = withLateState([], { state: 'PAID', since: day(3) }, { at: day(1), from: brings('FAILED') }, same)!;
    expect(withLateState(once, { state: 'PAID', since: day(3) }, { at: day(1), from: brings('FAILED') }, same)).toBeNull();
    expect(withLateState([], { state: 'PAID', since: day(3) }, { at: day(1), from: brings('PAID') }, same)).toBeNull();
  });

  it('changes nothing for a change dated at or after the current state', () => {
    expect(withLateState([], { state: 'PAID', since: day(3) }, { at: day(3), from: brings('FAILED') }, same)).toBeNull();
    expect(withLateState([], { state: 'PAID', since: day(3) }, { at: day(4), from: brings('FAILED') }, same)).toBeNull();
  });

  it('fills the fields a change leaves out from the state that held at its date', () => {
    const history = [{ state: 'A', endedAt: day(10) }];
    expect(read(withLateState(history, { state: 'B', since: day(10) }, { at: day(5), from: (held) => `${held}+x` }, same))).toEqual([
      'A@5',
      'A+x@10',
    ]);
  });

  it('ends the late state at the next change the history does not hold, and the interrupted state resumes after it', () => {
    // Severity HIGH until the 20th; a status change on the 12th; a late NORMAL of the 8th holds until the 12th.
    const history = [{ state: 'HIGH', endedAt: day(20) }];
    const late = { at: day(8), from: brings('NORMAL'), nextChangeAt: day(12) };
    expect(read(withLateState(history, { state: 'URGENT', since: day(20) }, late, same))).toEqual(['HIGH@8', 'NORMAL@12', 'HIGH@20']);
    // Interrupting the current state: it holds again from that change on, with no entry of its own.
    expect(read(withLateState([], { state: 'URGENT', since: day(20) }, late, same))).toEqual(['URGENT@8', 'NORMAL@12']);
  });
});

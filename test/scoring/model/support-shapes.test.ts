// Support red flags on a busy steady account, from its activity through the pure scoring core: an
// incident the support team solves within hours is no churn risk; urgent tickets left open for days,
// and a burst of poorly rated tickets, are.
import { computeScore, DEFAULT_SCORING_MODEL, metricRequests, metricsFromActivity, tierFor } from '../../../src/scoring/model';
import type { ActivityLog } from '../../../src/scoring/model';

const asOf = new Date('2026-06-30T20:00:00Z');
const hoursAgo = (hours: number) => new Date(asOf.getTime() - hours * 3_600_000);
const daysAgo = (days: number) => hoursAgo(days * 24);
type Tickets = NonNullable<ActivityLog['tickets']>;

/** Four users on every day of 150, each using three of eight features; three tickets, solved the next day, rated 5. */
function busyAccount(): ActivityLog {
  const engagementEvents: ActivityLog['engagementEvents'] = [];
  for (let day = 150; day >= 1; day--)
    for (let user = 0; user < 4; user++)
      for (let k = 0; k < 3; k++)
        engagementEvents.push({
          occurredAt: daysAgo(day - (9 + user + k) / 24),
          eventType: 'feature_used',
          feature: `f${(day + user + k) % 8}`,
          userId: `u${user}`,
        });
  const tickets: Tickets = [140, 100, 50].map((day) => ({
    openedAt: daysAgo(day),
    resolvedAt: daysAgo(day - 1),
    status: 'SOLVED' as const,
    severity: 'NORMAL' as const,
    csatRating: 5,
  }));
  return { engagementEvents, tickets, npsResponses: [], seats: 6 };
}

function scoreAt(activity: ActivityLog, at: Date) {
  const visible = { ...activity, engagementEvents: activity.engagementEvents.filter((e) => e.occurredAt <= at) };
  return computeScore(DEFAULT_SCORING_MODEL, metricsFromActivity(visible, metricRequests(DEFAULT_SCORING_MODEL), at));
}

function tierAt(activity: ActivityLog, at: Date): string {
  return tierFor(scoreAt(activity, at).score, DEFAULT_SCORING_MODEL.tiers, null, 0).key;
}

const flagged = (tier: string) => tier === 'at_risk' || tier === 'critical';

/** `count` HIGH or URGENT tickets opened `openedHoursAgo`, each solved `solvedAfterHours` later, unrated, with their status history. */
function urgentTickets(count: number, openedHoursAgo: number, solvedAfterHours: number | null): Tickets {
  return Array.from({ length: count }, (_, i) => {
    const openedAt = hoursAgo(openedHoursAgo - i * 0.2);
    const resolvedAt = solvedAfterHours === null ? null : new Date(openedAt.getTime() + solvedAfterHours * 3_600_000);
    const solved = resolvedAt !== null && resolvedAt <= asOf;
    return {
      openedAt,
      resolvedAt: solved ? resolvedAt : null,
      status: solved ? ('SOLVED' as const) : ('OPEN' as const),
      severity: i % 2 === 0 ? ('URGENT' as const) : ('HIGH' as const),
      csatRating: null,
      statusChanges: [
        { status: 'OPEN' as const, changedAt: openedAt },
        ...(solved ? [{ status: 'SOLVED' as const, changedAt: resolvedAt }] : []),
      ],
    };
  });
}

describe('an incident: five HIGH or URGENT tickets within an hour, solved within hours, unrated', () => {
  it('does not put a busy account at risk while its tickets are open, nor in the month after', () => {
    const account = busyAccount();
    // Scored as of every two hours of the incident day (its tickets opened 10 hours ago, solved 6 hours
    // after), and each day for the month after.
    for (const hoursBefore of [10, 8, 6, 4, 2, 0]) {
      const at = hoursAgo(hoursBefore);
      const tickets = [
        ...account.tickets!,
        ...urgentTickets(5, 10, 6).map((t) => ({ ...t, statusChanges: t.statusChanges!.filter((c) => c.changedAt <= at) })),
      ];
      expect([hoursBefore, tierAt({ ...account, tickets }, at)]).toEqual([hoursBefore, 'healthy']);
    }
    for (let day = 1; day <= 30; day++) {
      const later = { ...account, tickets: [...account.tickets!, ...urgentTickets(5, 10 + day * 24, 6)] };
      expect(flagged(tierAt(later, asOf))).toBe(false);
    }
  });

  it('nor counts it as an escalation when the account has never rated a ticket: no rating is no poor rating', () => {
    const account = busyAccount();
    const unrated = account.tickets!.map((t) => ({ ...t, csatRating: null }));
    for (const day of [1, 3, 7, 14]) {
      const tickets = [...unrated, ...urgentTickets(5, 10 + day * 24, 6)];
      const escalation = scoreAt({ ...account, tickets }, asOf).penalties.find((p) => p.name === 'support_escalation')!;
      expect([day, escalation.applied]).toEqual([day, false]);
      expect(flagged(tierAt({ ...account, tickets }, asOf))).toBe(false);
    }
  });
});

describe('urgent tickets left open for days', () => {
  it('put a busy account at risk once they have been open a day', () => {
    const account = busyAccount();
    const openFor = (hours: number) => tierAt({ ...account, tickets: [...account.tickets!, ...urgentTickets(3, hours, null)] }, asOf);
    expect(openFor(30)).toBe('at_risk');
    expect(flagged(openFor(72))).toBe(true);
  });

  it("and a burst of poorly rated tickets is an escalation whatever the tickets' severity", () => {
    const account = busyAccount();
    const burst: Tickets = Array.from({ length: 6 }, (_, i) => ({
      openedAt: daysAgo(10 - i),
      resolvedAt: daysAgo(7 - i),
      status: 'SOLVED' as const,
      severity: 'NORMAL' as const,
      csatRating: 1,
    }));
    expect(flagged(tierAt({ ...account, tickets: [...account.tickets!, ...burst] }, asOf))).toBe(true);
  });
});

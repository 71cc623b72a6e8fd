// A busy account's history, shared by the tests that need an account scored healthy on its own use.

const DAY = 86_400_000;

/** An instant `days` ago, as the API takes it. */
export const daysAgo = (days: number): string => new Date(Date.now() - days * DAY).toISOString();

/** A busy account's 120 days of use, three logins a day by its three users, up to half a day ago. */
export const busyDays = (customerId: string) =>
  Array.from({ length: 360 }, (_, i) => ({
    customerId,
    eventType: 'login',
    userId: `u${i % 3}`,
    feature: `f${Math.floor(i / 3) % 3}`,
    occurredAt: daysAgo(Math.floor(i / 3) + 0.5),
  }));

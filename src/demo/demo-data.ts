// The demo data set as plain data: customers in realistic archetypes with days of usage, payments,
// tickets and NPS ending now, all derived from a seed. No database here, so it can be inspected and
// tested on its own; load-demo-data.ts feeds it through the service's own ingestion code.
import { between, chance, integerBetween, pick, pickWeighted, Random, randomFor, shuffled } from './seeded-random';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const MINUTE_MS = 60_000;

export const ARCHETYPES = ['steady', 'weekday_business', 'growing', 'going_silent', 'failing_payments', 'detractor', 'recovering'] as const;
export type Archetype = (typeof ARCHETYPES)[number];

/** Share of the book per archetype: most accounts are fine, the ones a CS team must act on are a minority. */
export const ARCHETYPE_SHARES: Readonly<Record<Archetype, number>> = {
  steady: 0.4,
  weekday_business: 0.2,
  growing: 0.1,
  going_silent: 0.08,
  failing_payments: 0.06,
  detractor: 0.07,
  recovering: 0.09,
};

export interface DemoOptions {
  /** Number of customers. Default 2,000. */
  customers: number;
  /** Days of signals ending at `now` (today is the last, partial day). At least 30 so every archetype's story fits. */
  days: number;
  /** Everything is derived from it: the same seed and `now` give the same data set. */
  seed: number;
  /** End of the data set; nothing is generated after it. */
  now: Date;
}

export const DEFAULT_DEMO_OPTIONS = { customers: 2000, days: 90, seed: 1 } as const;
export const MIN_DEMO_DAYS = 30;

type Plan = 'starter' | 'growth' | 'business' | 'enterprise';

export interface DemoCustomer {
  /** Window index, 0-based; the id is derived from it. */
  index: number;
  id: string;
  name: string;
  archetype: Archetype;
  plan: Plan;
  arrCents: number;
  seats: number;
  signedUpAt: Date;
  csmOwner: string | null;
  communicationOptOut: boolean;
  churnedAt: Date | null;
  currency: 'USD' | 'EUR' | 'GBP';
  billing: 'monthly' | 'annual';
  /** Email domain of the account's users (reserved `.example` TLD). */
  domain: string;
  behaviour: DemoBehaviour;
}

/** How a customer's signals are shaped over the window. Days are window indices (0 = first day). */
export interface DemoBehaviour {
  /** First day with signals: 0, or the signup day for accounts that signed up inside the window. */
  firstActiveDay: number;
  /** Users at the start of the window; `userAddedDays` adds one each. */
  initialUsers: number;
  userAddedDays: number[];
  /** Adopted features, in the order they were adopted (growing accounts adopt them progressively). */
  features: string[];
  /** Probability that one user is active on a full-activity day. */
  participation: number;
  /** Accounts with an integration also produce api_call events on weekdays. */
  usesApi: boolean;
  /** Hour (UTC) around which the account's users work. */
  peakHourUtc: number;
  /** going_silent: the first day without any activity (every later day is silent too). */
  silentFromDay: number | null;
  /** recovering: the bad stretch, days [from, to). */
  badStretch: { from: number; to: number } | null;
  /** Days of the NPS surveys sent to the account. */
  npsSurveyDays: number[];
}

export interface DemoEvent {
  eventType: 'login' | 'feature_used' | 'page_view' | 'api_call' | 'user_added';
  userId: string | null;
  feature: string | null;
  metadata: Record<string, unknown> | null;
  occurredAt: Date;
  /** `demo:<date>:<n>`, n the event's position in that day's generated list; unique per customer. */
  idempotencyKey: string;
}

export interface DemoPayment {
  /** `in_<due date>_<attempt>`: each charge attempt of an invoice is its own payment. */
  externalId: string;
  amountCents: number;
  currency: string;
  status: 'PAID' | 'FAILED';
  dueAt: Date;
  paidAt: Date | null;
  occurredAt: Date;
}

export interface DemoTicket {
  externalId: string;
  subject: string;
  severity: 'LOW' | 'NORMAL' | 'HIGH' | 'URGENT';
  status: 'OPEN' | 'PENDING' | 'SOLVED';
  csatRating: number | null;
  sentiment: number;
  openedAt: Date;
  resolvedAt: Date | null;
}

export interface DemoNpsResponse {
  score: number;
  comment: string | null;
  respondent: string;
  respondedAt: Date;
}

export interface DemoSignals {
  events: DemoEvent[];
  payments: DemoPayment[];
  tickets: DemoTicket[];
  npsResponses: DemoNpsResponse[];
}

/** The day grid: day `days − 1` is today (UTC), cut off at `now`. */
export interface DemoWindow {
  now: Date;
  days: number;
  firstDayStartMs: number;
}

export interface DemoDataSet {
  options: DemoOptions;
  window: DemoWindow;
  customers: DemoCustomer[];
}

// ---------------------------------------------------------------------------------------------
// Vocabulary
// ---------------------------------------------------------------------------------------------

const FEATURES = [
  'dashboards', 'reports', 'alerts', 'exports', 'integrations', 'automations', 'segments', 'forecasts',
  'workflows', 'api_keys', 'sso', 'audit_log', 'templates', 'comments', 'mobile_app', 'scheduled_reports',
] as const;

const PAGES = ['/home', '/reports', '/dashboards', '/settings', '/billing', '/team', '/help', '/integrations'];
const API_ENDPOINTS = ['/v1/records', '/v1/events', '/v1/reports', '/v1/users', '/v1/exports'];

const NAME_FIRST = [
  'Northwind', 'Bluefin', 'Acorn', 'Summit', 'Harbor', 'Granite', 'Copper', 'Juniper', 'Meridian', 'Lumen', 'Orchid', 'Pioneer',
  'Quarry', 'Redwood', 'Saffron', 'Tidal', 'Umber', 'Vantage', 'Willow', 'Zephyr', 'Alder', 'Beacon', 'Cobalt', 'Delta',
  'Ember', 'Falcon', 'Glacier', 'Horizon', 'Ivory', 'Kestrel', 'Lattice', 'Maple', 'Nimbus', 'Onyx', 'Polaris', 'Quill',
  'Riverbend', 'Sterling', 'Thistle', 'Upland', 'Verdant', 'Wayfarer', 'Yarrow', 'Aurora', 'Basalt', 'Cedar', 'Drift', 'Evergreen',
];
const NAME_SECOND = [
  'Logistics', 'Health', 'Analytics', 'Foods', 'Labs', 'Software', 'Energy', 'Robotics', 'Retail', 'Capital', 'Media', 'Travel',
  'Insurance', 'Biotech', 'Freight', 'Studios', 'Security', 'Learning', 'Dental', 'Legal', 'Properties', 'Telecom', 'Outdoor', 'Apparel',
  'Clinics', 'Marine', 'Farms', 'Motors', 'Pharma', 'Consulting', 'Payments', 'Games',
];
const LEGAL_SUFFIX = { USD: ['Inc.', 'LLC', 'Corp.'], EUR: ['GmbH', 'B.V.', 'SAS', 'AB'], GBP: ['Ltd', 'plc'] } as const;

const SENIOR_CSMS = ['Alice Moreau', 'Ben Okafor', 'Chen Wei', 'Dana Fischer'];
const POOLED_CSMS = ['Eli Navarro', 'Fatima Zahra', 'Gustav Lind', 'Hana Sato', 'Ivan Petrov', 'Julia Costa'];

const PLANS: Readonly<Record<Plan, { share: number; arrDollars: [number, number]; arrStep: number; seats: [number, number]; users: [number, number] }>> = {
  starter: { share: 0.45, arrDollars: [1_200, 6_000], arrStep: 100, seats: [3, 10], users: [2, 4] },
  growth: { share: 0.3, arrDollars: [8_000, 30_000], arrStep: 500, seats: [10, 40], users: [3, 7] },
  business: { share: 0.18, arrDollars: [30_000, 90_000], arrStep: 1_000, seats: [40, 150], users: [5, 10] },
  enterprise: { share: 0.07, arrDollars: [100_000, 400_000], arrStep: 5_000, seats: [150, 1_000], users: [8, 14] },
};
const ANNUAL_BILLING_SHARE: Readonly<Record<Plan, number>> = { starter: 0.05, growth: 0.05, business: 0.2, enterprise: 0.4 };

type TicketMood = 'good' | 'mixed' | 'poor';
const TICKET_SUBJECTS: Readonly<Record<TicketMood | 'billing', string[]>> = {
  good: ['How do I add a user?', 'Question about scheduled reports', 'Feature request: dark mode', 'Where do I find the audit log?', 'Help setting up SSO', 'Export column order'],
  mixed: ['Dashboard slow to load', 'Alert fired twice', 'Integration sync delayed', 'CSV export times out on large reports'],
  poor: ['Data missing from yesterday\'s report', 'Outage: cannot log in', 'Reports show wrong totals again', 'Still waiting on a fix for the export bug', 'API returning 500 errors', 'Considering alternatives after repeated issues'],
  billing: ['Card declined: how do we update payment details?', 'Invoice payment failed', 'Billing contact changed'],
};
const NPS_COMMENTS = {
  promoter: ['Love the dashboards.', 'Saves our team hours every week.', 'Great support team.', 'The automations are a game changer.'],
  passive: ['Does the job.', 'Good, but reporting could be faster.', 'Fine overall; the mobile app needs work.'],
  detractor: ['Too many bugs lately.', 'Support takes days to answer.', 'Too expensive for what we use.', 'Missing features we were promised.', 'Hard to get the team to use it.'],
};

// ---------------------------------------------------------------------------------------------
// Customers
// ---------------------------------------------------------------------------------------------

export function demoWindow(now: Date, days: number): DemoWindow {
  const todayStartMs = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  return { now, days, firstDayStartMs: todayStartMs - (days - 1) * DAY_MS };
}

export function dayStartMs(window: DemoWindow, day: number): number {
  return window.firstDayStartMs + day * DAY_MS;
}

function isWeekend(window: DemoWindow, day: number): boolean {
  const weekday = new Date(dayStartMs(window, day)).getUTCDay();
  return weekday === 0 || weekday === 6;
}

/** `YYYY-MM-DD` of a window day: the stable part of idempotency keys and external ids. */
function dateKey(window: DemoWindow, day: number): string {
  return new Date(dayStartMs(window, day)).toISOString().slice(0, 10);
}

export function demoCustomerId(index: number): string {
  return `cust_demo_${String(index + 1).padStart(4, '0')}`;
}

/**
 * Exact archetype counts by largest remainder (a 40-customer test set still gets every archetype),
 * then shuffled so archetypes are not clustered by id.
 */
export function assignArchetypes(customers: number, seed: number): Archetype[] {
  const exact = ARCHETYPES.map((archetype) => ({ archetype, exact: customers * ARCHETYPE_SHARES[archetype] }));
  const counts = new Map(exact.map((e) => [e.archetype, Math.floor(e.exact)]));
  if (customers >= ARCHETYPES.length) for (const archetype of ARCHETYPES) counts.set(archetype, Math.max(1, counts.get(archetype) ?? 0));
  let assigned = [...counts.values()].reduce((a, b) => a + b, 0);
  const byRemainder = [...exact].sort((a, b) => (b.exact % 1) - (a.exact % 1));
  for (let i = 0; assigned < customers; i++, assigned++) {
    const archetype = byRemainder[i % byRemainder.length].archetype;
    counts.set(archetype, (counts.get(archetype) ?? 0) + 1);
  }
  // Raising small archetypes to 1 may overshoot: take the surplus from the largest.
  while (assigned > customers) {
    const largest = [...counts.entries()].sort((a, b) => b[1] - a[1])[0][0];
    counts.set(largest, (counts.get(largest) ?? 0) - 1);
    assigned--;
  }
  const list = ARCHETYPES.flatMap((archetype) => Array<Archetype>(counts.get(archetype) ?? 0).fill(archetype));
  return shuffled(randomFor(seed, 'archetypes', customers), list);
}

function checkOptions(options: DemoOptions): void {
  if (!Number.isInteger(options.customers) || options.customers < 1 || options.customers > 9_999) {
    throw new RangeError(`customers must be an integer from 1 to 9999, got ${options.customers}`);
  }
  if (!Number.isInteger(options.days) || options.days < MIN_DEMO_DAYS || options.days > 365) {
    throw new RangeError(`days must be an integer from ${MIN_DEMO_DAYS} to 365, got ${options.days}`);
  }
  if (!Number.isInteger(options.seed)) throw new RangeError(`seed must be an integer, got ${options.seed}`);
  if (Number.isNaN(options.now.getTime())) throw new RangeError('now is not a valid date');
}

export function buildDemoDataSet(options: DemoOptions): DemoDataSet {
  checkOptions(options);
  const window = demoWindow(options.now, options.days);
  const archetypes = assignArchetypes(options.customers, options.seed);
  const names = shuffled(
    randomFor(options.seed, 'names'),
    NAME_FIRST.flatMap((first) => NAME_SECOND.map((second) => `${first} ${second}`)),
  );
  let silentSeen = 0;
  const customers = archetypes.map((archetype, index) => {
    // Every fourth silent account has actually cancelled: churned, not just quiet.
    const churns = archetype === 'going_silent' && silentSeen++ % 4 === 0;
    return buildCustomer(options.seed, window, index, archetype, names[index % names.length], index >= names.length, churns);
  });
  return { options, window, customers };
}

function roundTo(value: number, step: number): number {
  return Math.round(value / step) * step;
}

function buildCustomer(seed: number, window: DemoWindow, index: number, archetype: Archetype, baseName: string, repeatName: boolean, churns: boolean): DemoCustomer {
  const random = randomFor(seed, 'customer', index);
  const { days } = window;
  const lastDay = days - 1;
  const plan = pickWeighted<Plan>(random, { starter: PLANS.starter.share, growth: PLANS.growth.share, business: PLANS.business.share, enterprise: PLANS.enterprise.share });
  const spec = PLANS[plan];
  const currency = pickWeighted(random, { USD: 0.6, EUR: 0.28, GBP: 0.12 });
  const name = `${baseName}${repeatName ? ' Group' : ''} ${pick(random, LEGAL_SUFFIX[currency])}`;
  const domain = `${baseName.toLowerCase().replace(/[^a-z0-9]+/g, '-')}${repeatName ? '-group' : ''}.example`;
  const arrCents = roundTo(between(random, spec.arrDollars[0], spec.arrDollars[1]), spec.arrStep) * 100;
  const seats = integerBetween(random, spec.seats[0], spec.seats[1]);
  const poolSize = integerBetween(random, spec.users[0], spec.users[1]);
  // Failing payments are card payments: keep those accounts on monthly billing so they have invoices.
  const billing = archetype !== 'failing_payments' && chance(random, ANNUAL_BILLING_SHARE[plan]) ? 'annual' : 'monthly';
  const csmOwner =
    plan === 'enterprise' || plan === 'business'
      ? pick(random, SENIOR_CSMS)
      : plan === 'starter' && chance(random, 0.35)
        ? null // tech-touch accounts have no named CSM
        : pick(random, POOLED_CSMS);

  // Growing accounts are often new; everyone else signed up before the window (30 days to ~4 years).
  const latestInWindowSignup = lastDay - 35;
  const signsUpInWindow = archetype === 'growing' && latestInWindowSignup >= 5 && chance(random, 0.4);
  const firstActiveDay = signsUpInWindow ? integerBetween(random, 5, latestInWindowSignup) : 0;
  const signedUpAt = new Date(
    signsUpInWindow
      ? dayStartMs(window, firstActiveDay) + integerBetween(random, 8, 16) * HOUR_MS
      : dayStartMs(window, 0) - integerBetween(random, 30, 1_400) * DAY_MS + integerBetween(random, 8, 16) * HOUR_MS,
  );

  // Small teams log in nearly every day; in big ones a smaller share of users is active each day.
  // The floor keeps the chance of a weekday with no activity at all around 5 %.
  const participation = Math.min(0.9, Math.max(between(random, 0.3, 0.5), 1 - 0.05 ** (1 / poolSize)));
  const featureCount = archetype === 'detractor' ? integerBetween(random, 4, 7) : integerBetween(random, 8, 13);
  const features = shuffled(random, FEATURES).slice(0, featureCount);
  const usesApi = chance(random, plan === 'business' || plan === 'enterprise' ? 0.5 : 0.1);
  const peakHourUtc = integerBetween(random, 9, 16);

  let silentFromDay: number | null = null;
  let churnedAt: Date | null = null;
  if (archetype === 'going_silent') {
    // No activity on the last `silentDays` + 1 dates (today included): the last event is at least `silentDays` days old.
    const silentDays = integerBetween(random, 10, 25);
    silentFromDay = Math.max(Math.ceil(days / 3), lastDay - silentDays);
    if (churns) {
      const cancelledDay = Math.min(lastDay - 1, silentFromDay + integerBetween(random, 2, 8));
      churnedAt = new Date(dayStartMs(window, cancelledDay) + integerBetween(random, 9, 17) * HOUR_MS);
    }
  }

  let badStretch: DemoBehaviour['badStretch'] = null;
  if (archetype === 'recovering') {
    // A bad month (little usage, a failed payment, unhappy tickets) that ended 18–28 days ago.
    const to = lastDay - integerBetween(random, 18, 28);
    badStretch = { from: Math.max(0, to - integerBetween(random, 25, 35)), to };
  }

  let initialUsers = poolSize;
  const userAddedDays: number[] = [];
  if (archetype === 'growing') {
    // Starts with ~40 % of its users and adds the rest over the window, at least two in the last 30 days.
    initialUsers = Math.max(1, Math.ceil(poolSize * 0.4));
    const toAdd = Math.max(3, poolSize - initialUsers);
    for (let i = 0; i < toAdd; i++) {
      const recent = i < 2;
      userAddedDays.push(recent ? integerBetween(random, Math.max(firstActiveDay + 1, lastDay - 29), lastDay - 1) : integerBetween(random, firstActiveDay + 1, lastDay - 1));
    }
  } else {
    // Others add someone now and then (about once a quarter), on a working day while the account is in use.
    for (let day = 1; day < lastDay; day++) {
      const quiet = isWeekend(window, day) || (silentFromDay !== null && day >= silentFromDay) || (badStretch !== null && day >= badStretch.from && day < badStretch.to);
      if (chance(random, 0.012) && !quiet) userAddedDays.push(day);
    }
  }
  userAddedDays.sort((a, b) => a - b);

  // Quarterly-ish surveys: the latest 5–55 days ago (detractors: within the last 30), then every 80–100 days back.
  // At least 5 days ago so the answers (up to 4 days later) are in before now.
  const npsSurveyDays: number[] = [];
  for (let day = lastDay - integerBetween(random, 5, archetype === 'detractor' ? 30 : 55); day >= firstActiveDay; day -= integerBetween(random, 80, 100)) {
    npsSurveyDays.push(day);
  }

  return {
    index,
    id: demoCustomerId(index),
    name,
    archetype,
    plan,
    arrCents,
    seats: Math.max(seats, poolSize),
    signedUpAt,
    csmOwner,
    communicationOptOut: chance(random, 0.05),
    churnedAt,
    currency,
    billing,
    domain,
    behaviour: {
      firstActiveDay,
      initialUsers,
      userAddedDays,
      features,
      participation,
      usesApi,
      peakHourUtc,
      silentFromDay,
      badStretch,
      npsSurveyDays,
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Signals
// ---------------------------------------------------------------------------------------------

function inBadStretch(behaviour: DemoBehaviour, day: number): boolean {
  return behaviour.badStretch !== null && day >= behaviour.badStretch.from && day < behaviour.badStretch.to;
}

/** 0…1: how active the account is on a day, relative to its normal level. */
export function activityLevel(customer: DemoCustomer, window: DemoWindow, day: number): number {
  const b = customer.behaviour;
  if (day < b.firstActiveDay) return 0;
  if (customer.churnedAt && dayStartMs(window, day) >= customer.churnedAt.getTime()) return 0;
  const weekend = isWeekend(window, day);
  // Business software: weekends are quiet for everyone and empty for weekday-only accounts.
  const weekendFactor = weekend ? 0.3 : 1;
  switch (customer.archetype) {
    case 'steady':
      return weekendFactor;
    case 'weekday_business':
      return weekend ? 0 : 1;
    case 'growing': {
      const progress = (day - b.firstActiveDay) / Math.max(1, window.days - 1 - b.firstActiveDay);
      return weekendFactor * (0.35 + 0.65 * progress);
    }
    case 'going_silent': {
      const silentFrom = b.silentFromDay ?? window.days;
      if (day >= silentFrom) return 0;
      // Usage fades over the two weeks before the account goes quiet.
      const daysLeft = silentFrom - day;
      return weekendFactor * (daysLeft <= 14 ? 0.3 + 0.7 * (daysLeft / 14) : 1);
    }
    case 'failing_payments':
      return weekendFactor * 0.8;
    case 'detractor':
      return weekendFactor * 0.6;
    case 'recovering':
      return weekendFactor * (inBadStretch(b, day) ? 0.12 : 1);
  }
}

function usersOnDay(behaviour: DemoBehaviour, day: number): number {
  return behaviour.initialUsers + behaviour.userAddedDays.filter((added) => added <= day).length;
}

/** Growing accounts adopt features as they go; everyone else uses their whole set. */
function featuresOnDay(customer: DemoCustomer, window: DemoWindow, day: number): readonly string[] {
  const { features, firstActiveDay } = customer.behaviour;
  if (customer.archetype !== 'growing') return features;
  const progress = (day - firstActiveDay) / Math.max(1, window.days - 1 - firstActiveDay);
  return features.slice(0, Math.max(2, Math.ceil(features.length * (0.35 + 0.65 * progress))));
}

function userId(number: number): string {
  return `u${String(number).padStart(2, '0')}`;
}

/**
 * One customer's events on one day, from a stream seeded by (seed, customer, date): the list is
 * the same whenever it is generated, so the n-th event of the day keeps its idempotency key.
 * Events after `now` are dropped but keep their position, so a later run the same day adds them.
 */
export function eventsOnDay(dataSet: DemoDataSet, customer: DemoCustomer, day: number): DemoEvent[] {
  const { window } = dataSet;
  const level = activityLevel(customer, window, day);
  const b = customer.behaviour;
  if (level <= 0) return [];
  const addedToday = b.userAddedDays.filter((added) => added === day).length;
  const date = dateKey(window, day);
  const random = randomFor(dataSet.options.seed, 'events', customer.id, date);
  const start = dayStartMs(window, day);
  const end = start + DAY_MS - MINUTE_MS;
  const at = (ms: number) => new Date(Math.min(end, Math.max(start, ms)));
  const generated: Array<Omit<DemoEvent, 'idempotencyKey'>> = [];

  const users = usersOnDay(b, day);
  const features = featuresOnDay(customer, window, day);
  for (let user = 1; user <= users; user++) {
    if (!chance(random, b.participation * level)) continue;
    const loginMs = start + (b.peakHourUtc + between(random, -4, 5)) * HOUR_MS;
    generated.push({ eventType: 'login', userId: userId(user), feature: null, metadata: null, occurredAt: at(loginMs) });
    const uses = 1 + (chance(random, 0.6) ? 1 : 0) + (chance(random, 0.3) ? 1 : 0);
    for (let i = 0; i < uses; i++) {
      generated.push({ eventType: 'feature_used', userId: userId(user), feature: pick(random, features), metadata: null, occurredAt: at(loginMs + integerBetween(random, 2, 120) * MINUTE_MS) });
    }
    if (chance(random, 0.35)) {
      generated.push({ eventType: 'page_view', userId: userId(user), feature: null, metadata: { path: pick(random, PAGES) }, occurredAt: at(loginMs + integerBetween(random, 1, 60) * MINUTE_MS) });
    }
  }
  if (b.usesApi && !isWeekend(window, day)) {
    // An integration reports in hourly batches; one event per batch, not per request.
    const batches = integerBetween(random, 1, 3);
    for (let i = 0; i < batches; i++) {
      generated.push({
        eventType: 'api_call',
        userId: 'integration',
        feature: 'api',
        metadata: { endpoint: pick(random, API_ENDPOINTS), requests: integerBetween(random, 20, 500) },
        occurredAt: at(start + integerBetween(random, 1, 22) * HOUR_MS),
      });
    }
  }
  for (let i = 0; i < addedToday; i++) {
    const newUser = usersOnDay(b, day - 1) + i + 1;
    generated.push({
      eventType: 'user_added',
      userId: userId(newUser),
      feature: null,
      metadata: { role: chance(random, 0.8) ? 'member' : 'admin', invitedBy: userId(1) },
      occurredAt: at(start + (b.peakHourUtc + between(random, -2, 2)) * HOUR_MS),
    });
  }
  const nowMs = window.now.getTime();
  return generated
    .map((event, n) => ({ ...event, idempotencyKey: `demo:${date}:${n}` }))
    .filter((event) => event.occurredAt.getTime() <= nowMs);
}

/** Every event of a customer over the window, oldest day first. */
export function customerEvents(dataSet: DemoDataSet, customer: DemoCustomer): DemoEvent[] {
  const events: DemoEvent[] = [];
  for (let day = 0; day < dataSet.window.days; day++) events.push(...eventsOnDay(dataSet, customer, day));
  return events;
}

/** Invoice due dates inside the window: monthly on the signup day of month (≤ 28), or yearly on the signup anniversary. */
function invoiceDueDates(customer: DemoCustomer, window: DemoWindow): Date[] {
  const startMs = window.firstDayStartMs;
  const nowMs = window.now.getTime();
  const billingDay = Math.min(28, customer.signedUpAt.getUTCDate());
  const first = new Date(startMs);
  const dates: Date[] = [];
  const candidates: Date[] = [];
  if (customer.billing === 'monthly') {
    for (let i = -1; i <= Math.ceil(window.days / 28) + 1; i++) candidates.push(new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth() + i, billingDay)));
  } else {
    for (let year = first.getUTCFullYear(); year <= window.now.getUTCFullYear(); year++) {
      candidates.push(new Date(Date.UTC(year, customer.signedUpAt.getUTCMonth(), billingDay)));
    }
  }
  for (const due of candidates) {
    const ms = due.getTime();
    if (ms < startMs || ms > nowMs || ms <= customer.signedUpAt.getTime()) continue;
    if (customer.churnedAt && ms >= customer.churnedAt.getTime()) continue;
    dates.push(due);
  }
  return dates;
}

/** Charge attempts of each invoice; failures are retried as a billing system's dunning would. */
export function customerPayments(dataSet: DemoDataSet, customer: DemoCustomer): DemoPayment[] {
  const { window } = dataSet;
  const nowMs = window.now.getTime();
  const random = randomFor(dataSet.options.seed, 'payments', customer.id);
  const amountCents = customer.billing === 'monthly' ? Math.round(customer.arrCents / 12) : customer.arrCents;
  const payments: DemoPayment[] = [];
  for (const due of invoiceDueDates(customer, window)) {
    const dueMs = due.getTime();
    const dueDay = Math.floor((dueMs - window.firstDayStartMs) / DAY_MS);
    const daysAgo = (nowMs - dueMs) / DAY_MS;
    let outcomes: Array<{ afterDays: number; status: DemoPayment['status'] }>;
    if (customer.archetype === 'failing_payments' && daysAgo <= 35) {
      // Card keeps failing: the first charge and both retries.
      outcomes = [
        { afterDays: 0, status: 'FAILED' },
        { afterDays: 3, status: 'FAILED' },
        { afterDays: 7, status: 'FAILED' },
      ];
    } else if (inBadStretch(customer.behaviour, dueDay) || chance(random, 0.025)) {
      outcomes = [
        { afterDays: 0, status: 'FAILED' },
        { afterDays: integerBetween(random, 2, 4), status: 'PAID' },
      ];
    } else {
      outcomes = [{ afterDays: 0, status: 'PAID' }];
    }
    outcomes.forEach((outcome, attempt) => {
      const occurredAt = new Date(dueMs + outcome.afterDays * DAY_MS + integerBetween(random, 1, 6) * HOUR_MS);
      if (occurredAt.getTime() > nowMs) return;
      payments.push({
        externalId: `in_${due.toISOString().slice(0, 10).replace(/-/g, '')}_${attempt + 1}`,
        amountCents,
        currency: customer.currency,
        status: outcome.status,
        dueAt: due,
        paidAt: outcome.status === 'PAID' ? occurredAt : null,
        occurredAt,
      });
    });
  }
  return payments;
}

function ticketMoodOn(customer: DemoCustomer, day: number, random: Random): TicketMood {
  if (customer.archetype === 'detractor' || inBadStretch(customer.behaviour, day)) return 'poor';
  return chance(random, 0.12) ? 'mixed' : 'good';
}

/** Tickets per day: a few a quarter for most accounts, many for detractors and during a bad stretch. */
function ticketRate(customer: DemoCustomer, window: DemoWindow, day: number): number {
  // Nobody files tickets on days the account does not use the product (weekends of weekday-only accounts, silence).
  if (activityLevel(customer, window, day) <= 0) return 0;
  if (customer.archetype === 'detractor') return 1 / 12;
  if (inBadStretch(customer.behaviour, day)) return 1 / 6;
  return 1 / 45;
}

interface TicketOptions {
  subject?: string;
  /** Forced tickets that carry an archetype's story are always rated. */
  alwaysRated?: boolean;
}

function buildTicket(customer: DemoCustomer, window: DemoWindow, day: number, n: number, mood: TicketMood, random: Random, options: TicketOptions): DemoTicket {
  const openedMs = dayStartMs(window, day) + (customer.behaviour.peakHourUtc + between(random, -3, 3)) * HOUR_MS;
  const resolutionHours = mood === 'good' ? between(random, 2, 48) : mood === 'mixed' ? between(random, 12, 96) : between(random, 24, 120);
  const resolvedMs = openedMs + resolutionHours * HOUR_MS;
  const solved = resolvedMs <= window.now.getTime();
  const csat = { good: [4, 5, 5, 5], mixed: [2, 3, 3, 4], poor: [1, 1, 2, 2] }[mood];
  const sentiment = { good: [0.2, 0.9], mixed: [-0.3, 0.3], poor: [-0.9, -0.3] }[mood];
  // Unhappy customers rate more often than satisfied ones.
  const rated = solved && (options.alwaysRated === true || chance(random, mood === 'poor' ? 0.9 : 0.7));
  return {
    externalId: `tkt_${dateKey(window, day).replace(/-/g, '')}_${n}`,
    subject: options.subject ?? pick(random, TICKET_SUBJECTS[mood]),
    severity: mood === 'poor' ? pick(random, ['HIGH', 'URGENT', 'NORMAL'] as const) : mood === 'mixed' ? pick(random, ['NORMAL', 'HIGH'] as const) : pick(random, ['LOW', 'NORMAL', 'NORMAL'] as const),
    status: solved ? 'SOLVED' : chance(random, 0.3) ? 'PENDING' : 'OPEN',
    csatRating: rated ? pick(random, csat) : null,
    sentiment: Math.round(between(random, sentiment[0], sentiment[1]) * 100) / 100,
    openedAt: new Date(openedMs),
    resolvedAt: solved ? new Date(resolvedMs) : null,
  };
}

export function customerTickets(dataSet: DemoDataSet, customer: DemoCustomer): DemoTicket[] {
  const { window } = dataSet;
  const random = randomFor(dataSet.options.seed, 'tickets', customer.id);
  const lastDay = window.days - 1;
  const tickets: DemoTicket[] = [];
  const ticketsOn = new Map<number, number>();
  const add = (day: number, mood: TicketMood, options: TicketOptions = {}) => {
    const n = (ticketsOn.get(day) ?? 0) + 1;
    ticketsOn.set(day, n);
    const ticket = buildTicket(customer, window, day, n, mood, random, options);
    if (ticket.openedAt.getTime() <= window.now.getTime()) tickets.push(ticket);
  };
  for (let day = customer.behaviour.firstActiveDay; day <= lastDay; day++) {
    if (chance(random, ticketRate(customer, window, day))) add(day, ticketMoodOn(customer, day, random));
  }
  if (customer.archetype === 'detractor') {
    // Guarantee the story: two unhappy, rated tickets in the last four weeks.
    add(lastDay - integerBetween(random, 6, 14), 'poor', { alwaysRated: true });
    add(lastDay - integerBetween(random, 18, 28), 'poor', { alwaysRated: true });
  }
  if (customer.archetype === 'failing_payments') {
    const firstFailure = customerPayments(dataSet, customer).find((p) => p.status === 'FAILED');
    if (firstFailure) {
      const day = Math.min(lastDay, Math.floor((firstFailure.occurredAt.getTime() - window.firstDayStartMs) / DAY_MS) + integerBetween(random, 1, 3));
      add(day, 'mixed', { subject: pick(random, TICKET_SUBJECTS.billing) });
    }
  }
  return tickets.sort((a, b) => a.openedAt.getTime() - b.openedAt.getTime());
}

const NPS_SCORES: Readonly<Record<Archetype | 'recovering_bad', number[]>> = {
  steady: [6, 7, 8, 8, 9, 9, 9, 10, 10],
  weekday_business: [6, 7, 7, 8, 8, 9, 9, 10],
  growing: [8, 9, 9, 10, 10],
  going_silent: [3, 5, 6, 6, 7, 7, 8],
  failing_payments: [4, 6, 7, 7, 8, 8, 9],
  detractor: [0, 1, 2, 3, 4, 4, 5, 5, 6, 6],
  recovering: [7, 8, 8, 9, 9, 10],
  recovering_bad: [2, 3, 4, 5, 6],
};

export function customerNpsResponses(dataSet: DemoDataSet, customer: DemoCustomer): DemoNpsResponse[] {
  const { window } = dataSet;
  const random = randomFor(dataSet.options.seed, 'nps', customer.id);
  const b = customer.behaviour;
  const responses: DemoNpsResponse[] = [];
  for (const surveyDay of b.npsSurveyDays) {
    // A silent or cancelled account does not answer surveys.
    if (b.silentFromDay !== null && surveyDay >= b.silentFromDay) continue;
    const scores = customer.archetype === 'recovering' && inBadStretch(b, surveyDay) ? NPS_SCORES.recovering_bad : NPS_SCORES[customer.archetype];
    const respondents = shuffled(random, Array.from({ length: usersOnDay(b, surveyDay) }, (_, i) => i + 1)).slice(0, integerBetween(random, 1, 3));
    for (const user of respondents) {
      const respondedAt = new Date(dayStartMs(window, Math.min(window.days - 1, surveyDay + integerBetween(random, 0, 4))) + (b.peakHourUtc + between(random, -3, 4)) * HOUR_MS);
      if (respondedAt.getTime() > window.now.getTime()) continue;
      const score = pick(random, scores);
      const band = score >= 9 ? 'promoter' : score >= 7 ? 'passive' : 'detractor';
      responses.push({
        score,
        comment: chance(random, 0.4) ? pick(random, NPS_COMMENTS[band]) : null,
        respondent: `${userId(user)}@${customer.domain}`,
        // Whole seconds: the respondent and time identify a response on a re-run.
        respondedAt: new Date(Math.floor(respondedAt.getTime() / 1000) * 1000),
      });
    }
  }
  return responses;
}

/** Payments, tickets and NPS responses of one customer (events are generated separately, day by day, as they are many). */
export function customerSignals(dataSet: DemoDataSet, customer: DemoCustomer): Omit<DemoSignals, 'events'> {
  return {
    payments: customerPayments(dataSet, customer),
    tickets: customerTickets(dataSet, customer),
    npsResponses: customerNpsResponses(dataSet, customer),
  };
}

export function countByArchetype(customers: readonly DemoCustomer[]): Record<Archetype, number> {
  const counts = Object.fromEntries(ARCHETYPES.map((a) => [a, 0])) as Record<Archetype, number>;
  for (const customer of customers) counts[customer.archetype]++;
  return counts;
}

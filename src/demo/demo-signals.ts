// A customer's signals, generated on demand from the seed and the usage model: engagement events day
// by day (every event of a person names its user; an integration's name none), invoices and their
// charge attempts, support tickets with realistic open times, and NPS answers. Nothing is generated
// after `now` or after the churn.
import { dayActivity, featureCountOnDay, isStillUsing, participationOf, patternStrength, usersAddedOn, usersOnDay } from './demo-activity';
import { DAY_MS, dateKey, dayOf, dayStartMs, DemoWindow, HOUR_MS, inRange, isWeekend, MINUTE_MS } from './demo-calendar';
import { DemoCustomer, DemoDataSet, planAt } from './demo-data';
import { between, chance, integerBetween, pick, Random, randomFor, shuffled } from './seeded-random';
import { npsCategory } from '../nps/nps-categories';

export interface DemoEvent {
  eventType: 'login' | 'feature_used' | 'page_view' | 'api_call' | 'user_added';
  /** `u<n>@<domain>`: the user who acted (the new user for user_added); null for an integration's api_call. */
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
  /** Set when the ticket is solved (by `now`); tickets still open at a churn are closed then. */
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

const PAGES = ['/home', '/reports', '/dashboards', '/settings', '/billing', '/team', '/help', '/integrations'];
const API_ENDPOINTS = ['/v1/records', '/v1/events', '/v1/reports', '/v1/users', '/v1/exports'];

type TicketMood = 'good' | 'mixed' | 'poor' | 'escalated';
const TICKET_SUBJECTS: Readonly<Record<TicketMood | 'billing', string[]>> = {
  good: [
    'How do I add a user?',
    'Question about scheduled reports',
    'Feature request: dark mode',
    'Where do I find the audit log?',
    'Help setting up SSO',
    'Export column order',
  ],
  mixed: ['Dashboard slow to load', 'Alert fired twice', 'Integration sync delayed', 'CSV export times out on large reports'],
  poor: [
    "Data missing from yesterday's report",
    'Outage: cannot log in',
    'Reports show wrong totals again',
    'Still waiting on a fix for the export bug',
    'API returning 500 errors',
  ],
  escalated: [
    'URGENT: month-end reports wrong for the third time',
    'Production sync down since Monday',
    'Escalation: no answer for a week',
    'Data loss after the last release',
    'Considering alternatives after repeated issues',
  ],
  billing: ['Card declined: how do we update payment details?', 'Invoice payment failed', 'Billing contact changed'],
};
const NPS_COMMENTS = {
  promoter: ['Love the dashboards.', 'Saves our team hours every week.', 'Great support team.', 'The automations are a game changer.'],
  passive: ['Does the job.', 'Good, but reporting could be faster.', 'Fine overall; the mobile app needs work.'],
  detractor: [
    'Too many bugs lately.',
    'Support takes days to answer.',
    'Too expensive for what we use.',
    'Missing features we were promised.',
    'Hard to get the team to use it.',
  ],
};

export function demoUserId(customer: DemoCustomer, user: number): string {
  return `u${user}@${customer.domain}`;
}

/** Signals must end before the churn (and before now): the first instant nothing is generated at. */
function cutOffMs(window: DemoWindow, customer: DemoCustomer): number {
  const nowMs = window.now.getTime() + 1;
  return customer.churnedAt ? Math.min(nowMs, customer.churnedAt.getTime()) : nowMs;
}

// ---------------------------------------------------------------------------------------------
// Engagement events
// ---------------------------------------------------------------------------------------------

/** The day's own random stream, when the account is used that day (its first draw decides that). */
function dayStream(dataSet: DemoDataSet, customer: DemoCustomer, day: number): { random: Random; users: number } | null {
  const activity = dayActivity(customer, dataSet.window, day);
  if (activity.use <= 0) return null;
  const random = randomFor(dataSet.options.seed, 'events', customer.id, dateKey(dataSet.window, day));
  // Adding a user is use of the product too.
  const used = chance(random, activity.use) || usersAddedOn(customer.behaviour, day) > 0;
  return used ? { random, users: activity.users } : null;
}

/** Whether the account has any engagement on a day (the same decision eventsOnDay makes). */
export function isUsedOn(dataSet: DemoDataSet, customer: DemoCustomer, day: number): boolean {
  return dayStream(dataSet, customer, day) !== null;
}

/**
 * One customer's events on one day, from a stream seeded by (seed, customer, date): the list is
 * the same whenever it is generated, so the n-th event of the day keeps its idempotency key.
 * Events after `now` are dropped but keep their position, so a later run the same day adds them.
 */
export function eventsOnDay(dataSet: DemoDataSet, customer: DemoCustomer, day: number): DemoEvent[] {
  return [...teamEventsOnDay(dataSet, customer, day), ...integrationEventsOnDay(dataSet, customer, day)];
}

/** The events of the account's people on a day it is used (`dayStream`). */
function teamEventsOnDay(dataSet: DemoDataSet, customer: DemoCustomer, day: number): DemoEvent[] {
  const { window } = dataSet;
  const stream = dayStream(dataSet, customer, day);
  if (!stream) return [];
  const { random } = stream;
  const b = customer.behaviour;
  const date = dateKey(window, day);
  const start = dayStartMs(window, day);
  const end = start + DAY_MS - MINUTE_MS;
  const at = (ms: number) => new Date(Math.min(end, Math.max(start, ms)));
  const cutOff = cutOffMs(window, customer);
  const events: DemoEvent[] = [];
  // Every generated event takes its position n in the day's list, kept or not (after the cut-off).
  let n = 0;
  const nextKey = () => `demo:${date}:${n++}`;
  const emit = (event: DemoEvent) => {
    if (event.occurredAt.getTime() < cutOff) events.push(event);
  };

  const addedToday = usersAddedOn(b, day);
  const team = usersOnDay(b, day);
  const active: number[] = [];
  const staying: number[] = [];
  for (let user = 1; user <= team; user++) {
    if (!isStillUsing(customer, user, day)) continue;
    staying.push(user);
    if (chance(random, participationOf(customer, user, day) * stream.users)) active.push(user);
  }
  // The account is in use today: someone logged in.
  if (active.length === 0 && staying.length > 0) active.push(pick(random, staying));
  const featureCount = Math.max(1, featureCountOnDay(customer, window, day));
  for (const user of active) {
    const who = demoUserId(customer, user);
    const loginMs = start + (b.peakHourUtc + between(random, -4, 5)) * HOUR_MS;
    emit({ eventType: 'login', userId: who, feature: null, metadata: null, occurredAt: at(loginMs), idempotencyKey: nextKey() });
    const uses = 1 + (chance(random, 0.4) ? 1 : 0) + (chance(random, 0.12) ? 1 : 0);
    for (let i = 0; i < uses; i++) {
      // Skewed to the account's main features: the rarely used ones are what a contraction drops first.
      const feature = b.features[Math.floor(featureCount * random() ** 1.5)];
      emit({
        eventType: 'feature_used',
        userId: who,
        feature,
        metadata: null,
        occurredAt: at(loginMs + integerBetween(random, 2, 120) * MINUTE_MS),
        idempotencyKey: nextKey(),
      });
    }
    if (chance(random, 0.12)) {
      emit({
        eventType: 'page_view',
        userId: who,
        feature: null,
        metadata: { path: pick(random, PAGES) },
        occurredAt: at(loginMs + integerBetween(random, 1, 60) * MINUTE_MS),
        idempotencyKey: nextKey(),
      });
    }
  }
  for (let i = 0; i < addedToday; i++) {
    emit({
      eventType: 'user_added',
      userId: demoUserId(customer, usersOnDay(b, day - 1) + i + 1),
      feature: null,
      metadata: { role: chance(random, 0.8) ? 'member' : 'admin', invitedBy: demoUserId(customer, 1) },
      occurredAt: at(start + (b.peakHourUtc + between(random, -2, 2)) * HOUR_MS),
      idempotencyKey: nextKey(),
    });
  }
  return events;
}

/**
 * An integration's syncs: on every weekday from the account's signup until it cancels, whether
 * or not anyone uses the product that day (its team's holidays and silences included), in hourly
 * batches under a service key that names no user; one event per batch, from the day's own stream
 * so the team's events do not depend on it. An account that went abruptly silent switched tools
 * and disconnected it then.
 */
function integrationEventsOnDay(dataSet: DemoDataSet, customer: DemoCustomer, day: number): DemoEvent[] {
  const { window } = dataSet;
  const b = customer.behaviour;
  if (!b.usesApi || day < b.firstActiveDay || isWeekend(window, day)) return [];
  if (customer.archetype === 'abrupt_silence' && patternStrength(b.churn, day) > 0) return [];
  const random = randomFor(dataSet.options.seed, 'integration', customer.id, dateKey(window, day));
  const start = dayStartMs(window, day);
  const cutOff = cutOffMs(window, customer);
  const events: DemoEvent[] = [];
  const batches = integerBetween(random, 1, 3);
  for (let i = 0; i < batches; i++) {
    const occurredAt = new Date(start + integerBetween(random, 1, 22) * HOUR_MS + integerBetween(random, 0, 59) * MINUTE_MS);
    const metadata = { endpoint: pick(random, API_ENDPOINTS), requests: integerBetween(random, 20, 500) };
    const event = {
      eventType: 'api_call',
      userId: null,
      feature: 'api',
      metadata,
      occurredAt,
      idempotencyKey: `demo:${dateKey(window, day)}:api:${i}`,
    } as const;
    if (occurredAt >= customer.signedUpAt && occurredAt.getTime() < cutOff) events.push(event);
  }
  return events;
}

/** Every event of a customer over the window, oldest day first (one customer at a time: a few thousand events). */
export function customerEvents(dataSet: DemoDataSet, customer: DemoCustomer): DemoEvent[] {
  const events: DemoEvent[] = [];
  for (let day = customer.behaviour.firstActiveDay; day < dataSet.window.days; day++) {
    for (const event of eventsOnDay(dataSet, customer, day)) events.push(event);
  }
  return events;
}

// ---------------------------------------------------------------------------------------------
// Payments
// ---------------------------------------------------------------------------------------------

/** Invoice due dates inside the window, before the churn: monthly on the billing day, or yearly in the signup month. */
function invoiceDueDates(customer: DemoCustomer, window: DemoWindow): Date[] {
  const startMs = window.firstDayStartMs;
  const endMs = cutOffMs(window, customer);
  const first = new Date(startMs);
  const candidates: Date[] = [];
  if (customer.billing === 'monthly') {
    for (let i = -1; i <= Math.ceil(window.days / 28) + 1; i++)
      candidates.push(new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth() + i, customer.billingDayOfMonth)));
  } else {
    for (let year = first.getUTCFullYear(); year <= window.now.getUTCFullYear(); year++) {
      candidates.push(new Date(Date.UTC(year, customer.signedUpAt.getUTCMonth(), customer.billingDayOfMonth)));
    }
  }
  return candidates.filter((due) => due.getTime() >= startMs && due.getTime() < endMs && due.getTime() > customer.signedUpAt.getTime());
}

interface ChargeAttempt {
  afterDays: number;
  status: DemoPayment['status'];
}

/** How an invoice's charges go: paid; failed then paid on a retry (noise, bad stretch); or failing for good (payment trouble). */
function chargeAttempts(customer: DemoCustomer, dueDay: number, random: Random): ChargeAttempt[] {
  const story = customer.behaviour.churn;
  if (customer.archetype === 'payment_trouble' && story?.onsetDay != null && dueDay >= story.onsetDay) {
    // The card keeps failing through dunning and nobody fixes it: two to four failed attempts, no payment.
    const attempts: ChargeAttempt[] = [{ afterDays: 0, status: 'FAILED' }];
    let after = 0;
    for (let retry = integerBetween(random, 1, 3); retry > 0; retry--) {
      after += integerBetween(random, 3, 5);
      attempts.push({ afterDays: after, status: 'FAILED' });
    }
    return attempts;
  }
  if (inRange(customer.behaviour.badStretch, dueDay) || chance(random, 0.025)) {
    return [
      { afterDays: 0, status: 'FAILED' },
      { afterDays: integerBetween(random, 1, 5), status: 'PAID' },
    ];
  }
  return [{ afterDays: 0, status: 'PAID' }];
}

/** Charge attempts of each invoice; each at the ARR in force when it fell due. */
export function customerPayments(dataSet: DemoDataSet, customer: DemoCustomer): DemoPayment[] {
  const { window } = dataSet;
  const cutOff = cutOffMs(window, customer);
  const random = randomFor(dataSet.options.seed, 'payments', customer.id);
  const payments: DemoPayment[] = [];
  for (const due of invoiceDueDates(customer, window)) {
    const dueMs = due.getTime();
    const { arrCents } = planAt(customer, due);
    const amountCents = customer.billing === 'monthly' ? Math.round(arrCents / 12) : arrCents;
    chargeAttempts(customer, dayOf(window, due), random).forEach((attempt, n) => {
      const occurredAt = new Date(dueMs + attempt.afterDays * DAY_MS + integerBetween(random, 1, 6) * HOUR_MS);
      if (occurredAt.getTime() >= cutOff) return;
      payments.push({
        externalId: `in_${due.toISOString().slice(0, 10).replace(/-/g, '')}_${n + 1}`,
        amountCents,
        currency: customer.currency,
        status: attempt.status,
        dueAt: due,
        paidAt: attempt.status === 'PAID' ? occurredAt : null,
        occurredAt,
      });
    });
  }
  return payments;
}

// ---------------------------------------------------------------------------------------------
// Support tickets
// ---------------------------------------------------------------------------------------------

interface TicketStyle {
  severities: ReadonlyArray<DemoTicket['severity']>;
  /** Time to resolution, in hours. */
  resolutionHours: [number, number];
  csat: number[];
  ratedShare: number;
  sentiment: [number, number];
}

const TICKET_STYLES: Readonly<Record<TicketMood, TicketStyle>> = {
  good: { severities: ['LOW', 'NORMAL', 'NORMAL'], resolutionHours: [2, 96], csat: [4, 5, 5, 5], ratedShare: 0.5, sentiment: [0.2, 0.9] },
  mixed: {
    severities: ['NORMAL', 'NORMAL', 'HIGH'],
    resolutionHours: [12, 168],
    csat: [2, 3, 3, 4],
    ratedShare: 0.6,
    sentiment: [-0.3, 0.3],
  },
  poor: {
    severities: ['NORMAL', 'HIGH', 'URGENT'],
    resolutionHours: [24, 336],
    csat: [1, 1, 2, 2],
    ratedShare: 0.85,
    sentiment: [-0.9, -0.3],
  },
  escalated: {
    severities: ['NORMAL', 'HIGH', 'HIGH', 'URGENT', 'URGENT'],
    resolutionHours: [72, 600],
    csat: [1, 1, 1, 2, 2, 3],
    ratedShare: 0.9,
    sentiment: [-1, -0.4],
  },
};

/** The least ticket rate of an escalation at full strength (per day in use). */
const ESCALATED_TICKETS_PER_DAY = 0.1;

/** Tickets per day in use, and their mood, on one day of the account's story. */
function ticketOutlook(customer: DemoCustomer, day: number, random: Random): { rate: number; mood: () => TicketMood } {
  const b = customer.behaviour;
  const usual = (): TicketMood => {
    const roll = random();
    return roll < 0.03 ? 'poor' : roll < 0.15 ? 'mixed' : 'good';
  };
  const strength = patternStrength(b.churn, day);
  if (customer.archetype === 'support_escalation' && strength > 0) {
    // Several tickets a week at full strength, whatever the account's usual volume.
    const escalatedRate = Math.min(0.8, Math.max(ESCALATED_TICKETS_PER_DAY, b.ticketRate * (b.churn?.ticketMultiple ?? 1)));
    return { rate: b.ticketRate + (escalatedRate - b.ticketRate) * strength, mood: () => (random() < 0.85 ? 'escalated' : 'poor') };
  }
  if (customer.archetype === 'detractor' && strength > 0)
    return { rate: b.ticketRate * 2, mood: () => (random() < 0.5 ? 'poor' : 'mixed') };
  if (inRange(b.badStretch, day)) return { rate: Math.min(0.5, b.ticketRate * 5), mood: () => 'poor' };
  return { rate: b.ticketRate, mood: usual };
}

function buildTicket(
  customer: DemoCustomer,
  window: DemoWindow,
  day: number,
  n: number,
  mood: TicketMood,
  random: Random,
  subject?: string,
): DemoTicket {
  const style = TICKET_STYLES[mood];
  const openedMs = dayStartMs(window, day) + (customer.behaviour.peakHourUtc + between(random, -3, 3)) * HOUR_MS;
  const resolvedMs = openedMs + between(random, style.resolutionHours[0], style.resolutionHours[1]) * HOUR_MS;
  const cutOff = cutOffMs(window, customer);
  const solved = resolvedMs < cutOff;
  // A ticket still open when the customer cancels is closed then, unrated; one still open now stays open.
  const closedByChurn = !solved && customer.churnedAt !== null && customer.churnedAt.getTime() <= window.now.getTime();
  const rated = solved && chance(random, style.ratedShare);
  const waiting = chance(random, 0.3);
  return {
    externalId: `tkt_${dateKey(window, day).replace(/-/g, '')}_${n}`,
    subject: subject ?? pick(random, TICKET_SUBJECTS[mood]),
    severity: pick(random, style.severities),
    status: solved || closedByChurn ? 'SOLVED' : waiting ? 'PENDING' : 'OPEN',
    csatRating: rated ? pick(random, style.csat) : null,
    sentiment: Math.round(between(random, style.sentiment[0], style.sentiment[1]) * 100) / 100,
    openedAt: new Date(openedMs),
    resolvedAt: solved ? new Date(resolvedMs) : closedByChurn ? new Date(cutOff) : null,
  };
}

export function customerTickets(dataSet: DemoDataSet, customer: DemoCustomer): DemoTicket[] {
  const { window } = dataSet;
  const random = randomFor(dataSet.options.seed, 'tickets', customer.id);
  const b = customer.behaviour;
  const story = b.churn;
  const lastDay = window.days - 1;
  const tickets: DemoTicket[] = [];
  const ticketsOn = new Map<number, number>();
  const cutOff = cutOffMs(window, customer);
  const add = (day: number, mood: TicketMood, subject?: string) => {
    const n = (ticketsOn.get(day) ?? 0) + 1;
    ticketsOn.set(day, n);
    const ticket = buildTicket(customer, window, day, n, mood, random, subject);
    if (ticket.openedAt.getTime() < cutOff) tickets.push(ticket);
  };
  let escalated = 0;
  // Nobody files tickets on days the account does not use the product.
  for (let day = b.firstActiveDay; day <= lastDay; day++) {
    if (!isUsedOn(dataSet, customer, day)) continue;
    const outlook = ticketOutlook(customer, day, random);
    if (!chance(random, outlook.rate)) continue;
    const mood = outlook.mood();
    if (mood === 'escalated') escalated++;
    add(day, mood);
  }
  if (story?.onsetDay != null) {
    const latest = Math.max(story.onsetDay, story.churnDay - 2);
    // The stories' tickets that must be there whatever the draws: the escalation, the detractor's complaint, the billing question.
    if (customer.archetype === 'support_escalation')
      for (; escalated < 2; escalated++) add(integerBetween(random, story.onsetDay, latest), 'escalated');
    if (customer.archetype === 'detractor') add(integerBetween(random, story.onsetDay, latest), 'poor');
    if (customer.archetype === 'payment_trouble')
      add(Math.min(latest, story.onsetDay + integerBetween(random, 1, 3)), 'mixed', pick(random, TICKET_SUBJECTS.billing));
  }
  return tickets.sort((a, c) => a.openedAt.getTime() - c.openedAt.getTime());
}

// ---------------------------------------------------------------------------------------------
// NPS
// ---------------------------------------------------------------------------------------------

const NPS_SCORES = {
  // One answer in twenty angry (0–4): a healthy account's unhappy user now and then, as real surveys
  // have and as two outside populations drew. Without it no healthy account here ever answered below 5,
  // and a red flag on a single angry answer cost nothing in the backtest (bench/README.md, session 47).
  usual: [3, 5, 6, 6, 7, 7, 8, 8, 8, 8, 9, 9, 9, 9, 9, 9, 10, 10, 10, 10],
  enthusiastic: [7, 8, 9, 9, 10, 10],
  lukewarm: [4, 5, 6, 6, 7, 7, 8, 8],
  unhappy: [2, 3, 4, 5, 6, 6, 7],
  detractor: [0, 1, 2, 3, 4, 4, 5, 5, 6, 6],
} as const;

function npsScores(customer: DemoCustomer, day: number): readonly number[] {
  const b = customer.behaviour;
  const afterOnset = patternStrength(b.churn, day) > 0;
  switch (customer.archetype) {
    case 'growing':
    case 'onboarding':
      return NPS_SCORES.enthusiastic;
    case 'recovering':
      return inRange(b.badStretch, day) ? NPS_SCORES.unhappy : NPS_SCORES.usual;
    case 'detractor':
      return afterOnset ? NPS_SCORES.detractor : NPS_SCORES.lukewarm;
    case 'support_escalation':
      return afterOnset ? NPS_SCORES.unhappy : NPS_SCORES.usual;
    default:
      return NPS_SCORES.usual;
  }
}

export function customerNpsResponses(dataSet: DemoDataSet, customer: DemoCustomer): DemoNpsResponse[] {
  const { window } = dataSet;
  const random = randomFor(dataSet.options.seed, 'nps', customer.id);
  const b = customer.behaviour;
  const cutOff = cutOffMs(window, customer);
  const responses: DemoNpsResponse[] = [];
  for (const surveyDay of b.npsSurveyDays) {
    const answerDay = Math.min(window.days - 1, surveyDay + integerBetween(random, 0, 4));
    // Nobody answers from an account that is not in use that day (silent, on holiday, cancelled).
    if (dayActivity(customer, window, answerDay).use <= 0) continue;
    const team = usersOnDay(b, surveyDay);
    const staying = Array.from({ length: team }, (_, i) => i + 1).filter((user) => isStillUsing(customer, user, answerDay));
    const scores = npsScores(customer, answerDay);
    for (const user of shuffled(random, staying).slice(0, integerBetween(random, 1, 3))) {
      const respondedAt = new Date(dayStartMs(window, answerDay) + (b.peakHourUtc + between(random, -3, 4)) * HOUR_MS);
      if (respondedAt.getTime() >= cutOff) continue;
      const score = pick(random, scores);
      responses.push({
        score,
        comment: chance(random, 0.4) ? pick(random, NPS_COMMENTS[npsCategory(score)]) : null,
        respondent: demoUserId(customer, user),
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

// One customer of the synthetic population: its profile (plan, team, billing), its habits, and the
// story its archetype gives it (a churn with its leading pattern, a holiday, a bad stretch, growth).
// Magnitudes, lead times and team sizes are drawn from wide ranges on purpose: the population must
// not fit any one threshold of the model it is used to test.
import { dayActivity } from './demo-activity';
import { Archetype, CHURN_REASONS, isChurnArchetype } from './demo-archetypes';
import { DAY_MS, DayRange, dayStartMs, DemoWindow, HOUR_MS, MINUTE_MS } from './demo-calendar';
import type { ChurnStory, DemoBehaviour, DemoCustomer, DemoPlanChange, Plan } from './demo-data';
import { between, chance, integerBetween, pick, pickWeighted, Random, randomFor, shuffled } from './seeded-random';

export const FEATURES = [
  'dashboards',
  'reports',
  'alerts',
  'exports',
  'integrations',
  'automations',
  'segments',
  'forecasts',
  'workflows',
  'api_keys',
  'sso',
  'audit_log',
  'templates',
  'comments',
  'mobile_app',
  'scheduled_reports',
] as const;

export const NAME_FIRST = [
  'Northwind',
  'Bluefin',
  'Acorn',
  'Summit',
  'Harbor',
  'Granite',
  'Copper',
  'Juniper',
  'Meridian',
  'Lumen',
  'Orchid',
  'Pioneer',
  'Quarry',
  'Redwood',
  'Saffron',
  'Tidal',
  'Umber',
  'Vantage',
  'Willow',
  'Zephyr',
  'Alder',
  'Beacon',
  'Cobalt',
  'Delta',
  'Ember',
  'Falcon',
  'Glacier',
  'Horizon',
  'Ivory',
  'Kestrel',
  'Lattice',
  'Maple',
  'Nimbus',
  'Onyx',
  'Polaris',
  'Quill',
  'Riverbend',
  'Sterling',
  'Thistle',
  'Upland',
  'Verdant',
  'Wayfarer',
  'Yarrow',
  'Aurora',
  'Basalt',
  'Cedar',
  'Drift',
  'Evergreen',
];
export const NAME_SECOND = [
  'Logistics',
  'Health',
  'Analytics',
  'Foods',
  'Labs',
  'Software',
  'Energy',
  'Robotics',
  'Retail',
  'Capital',
  'Media',
  'Travel',
  'Insurance',
  'Biotech',
  'Freight',
  'Studios',
  'Security',
  'Learning',
  'Dental',
  'Legal',
  'Properties',
  'Telecom',
  'Outdoor',
  'Apparel',
  'Clinics',
  'Marine',
  'Farms',
  'Motors',
  'Pharma',
  'Consulting',
  'Payments',
  'Games',
];
const LEGAL_SUFFIX = { USD: ['Inc.', 'LLC', 'Corp.'], EUR: ['GmbH', 'B.V.', 'SAS', 'AB'], GBP: ['Ltd', 'plc'] } as const;

const SENIOR_CSMS = ['Alice Moreau', 'Ben Okafor', 'Chen Wei', 'Dana Fischer'];
const POOLED_CSMS = ['Eli Navarro', 'Fatima Zahra', 'Gustav Lind', 'Hana Sato', 'Ivan Petrov', 'Julia Costa'];

/** Plans: ARR range and team size (users who ever use the product); seats are derived from the team. */
const PLANS: Readonly<Record<Plan, { share: number; arrDollars: [number, number]; arrStep: number; users: [number, number] }>> = {
  starter: { share: 0.45, arrDollars: [1_200, 6_000], arrStep: 100, users: [1, 5] },
  growth: { share: 0.3, arrDollars: [8_000, 30_000], arrStep: 500, users: [3, 10] },
  business: { share: 0.18, arrDollars: [30_000, 90_000], arrStep: 1_000, users: [5, 18] },
  enterprise: { share: 0.07, arrDollars: [100_000, 400_000], arrStep: 5_000, users: [10, 30] },
};
const ANNUAL_BILLING_SHARE: Readonly<Record<Plan, number>> = { starter: 0.05, growth: 0.05, business: 0.2, enterprise: 0.4 };

export function demoCustomerId(index: number): string {
  return `cust_demo_${String(index + 1).padStart(4, '0')}`;
}

/** Company names: `round` > 0 once the population outgrows the name list (`… Group`, `… Group 2`, …). */
function nameParts(baseName: string, round: number): { suffix: string; slug: string } {
  const suffix = round === 0 ? '' : round === 1 ? ' Group' : ` Group ${round}`;
  return { suffix, slug: `${baseName}${suffix}`.toLowerCase().replace(/[^a-z0-9]+/g, '-') };
}

function roundTo(value: number, step: number): number {
  return Math.round(value / step) * step;
}

/** An instant during working hours of a window day. */
function workingTime(random: Random, window: DemoWindow, day: number): Date {
  return new Date(dayStartMs(window, day) + integerBetween(random, 9, 17) * HOUR_MS + integerBetween(random, 0, 59) * MINUTE_MS);
}

export function buildCustomer(
  seed: number,
  window: DemoWindow,
  index: number,
  archetype: Archetype,
  baseName: string,
  nameRound: number,
  openChurnerShare = 0,
): DemoCustomer {
  const random = randomFor(seed, 'customer', index);
  const plan: Plan =
    archetype === 'steady_low_cadence'
      ? pickWeighted<Plan>(random, { starter: 0.7, growth: 0.3, business: 0, enterprise: 0 })
      : pickWeighted<Plan>(random, {
          starter: PLANS.starter.share,
          growth: PLANS.growth.share,
          business: PLANS.business.share,
          enterprise: PLANS.enterprise.share,
        });
  const spec = PLANS[plan];
  const currency = pickWeighted(random, { USD: 0.6, EUR: 0.28, GBP: 0.12 });
  const { suffix, slug } = nameParts(baseName, nameRound);
  const arrCents = roundTo(between(random, spec.arrDollars[0], spec.arrDollars[1]), spec.arrStep) * 100;
  const team = teamSize(random, archetype, spec.users);
  // Failing payments are card payments on monthly invoices.
  const billing = archetype !== 'payment_trouble' && chance(random, ANNUAL_BILLING_SHARE[plan]) ? 'annual' : 'monthly';
  const csmOwner =
    plan === 'enterprise' || plan === 'business'
      ? pick(random, SENIOR_CSMS)
      : plan === 'starter' && chance(random, 0.35)
        ? null // tech-touch accounts have no named CSM
        : pick(random, POOLED_CSMS);

  const story = isChurnArchetype(archetype) ? churnStory(random, archetype, window, openChurnerShare) : null;
  const { signedUpAt, firstActiveDay } = signup(random, archetype, window, story);
  const behaviour = habits(random, archetype, window, team, firstActiveDay, story);
  addUsers(random, { archetype, behaviour }, window, team);
  const seats = initialSeats(random, archetype, behaviour);
  // An open churner's contraction may fall after `now`: it has not happened yet.
  const planChanges = changesOfPlan(random, archetype, window, behaviour, { seats, arrCents, arrStep: spec.arrStep }).filter(
    (change) => change.at.getTime() <= window.now.getTime(),
  );
  behaviour.npsSurveyDays = surveyDays(random, archetype, window, behaviour);

  // A churner still in its pattern at `now` has not cancelled yet: nothing says it will.
  const churned = story !== null && story.churnDay < window.days;
  const churnedAt = churned ? workingTime(random, window, story.churnDay) : null;
  const onsetStart = story?.onsetDay != null ? new Date(dayStartMs(window, story.onsetDay)) : null;
  return {
    index,
    id: demoCustomerId(index),
    name: `${baseName}${suffix} ${pick(random, LEGAL_SUFFIX[currency])}`,
    archetype,
    plan,
    arrCents,
    seats,
    planChanges,
    signedUpAt,
    csmOwner,
    communicationOptOut: chance(random, 0.05),
    churnedAt,
    churnReason: churned && isChurnArchetype(archetype) ? pick(random, CHURN_REASONS[archetype]) : null,
    signalOnsetAt: onsetStart,
    currency,
    billing,
    // Payment trouble starts with the invoice due on its onset.
    billingDayOfMonth: archetype === 'payment_trouble' && onsetStart ? onsetStart.getUTCDate() : Math.min(28, signedUpAt.getUTCDate()),
    domain: `${slug}.example`,
    behaviour,
  };
}

/** Users who ever use the product. Low-cadence accounts are small; champion_loss needs a team to lose. */
function teamSize(random: Random, archetype: Archetype, [min, max]: [number, number]): number {
  const drawn = integerBetween(random, min, max);
  if (archetype === 'steady_low_cadence') return integerBetween(random, 1, 4);
  if (archetype === 'champion_loss') return Math.max(drawn, integerBetween(random, 5, 9));
  if (archetype === 'payment_trouble') return Math.max(drawn, 3);
  return drawn;
}

/**
 * When a churner cancels and when its pattern starts. Churn days spread evenly over the last three
 * quarters of the window; lead times mostly 30–75 days, some 10–29, abrupt silences 5–20.
 */
function churnStory(random: Random, archetype: Archetype, window: DemoWindow, openChurnerShare: number): ChurnStory {
  const lastDay = window.days - 1;
  const story: ChurnStory = {
    churnDay: integerBetween(random, Math.min(lastDay - 1, Math.max(12, Math.ceil(window.days * 0.25))), lastDay - 1),
    onsetDay: null,
    rampDays: 1,
    usageLeft: 1,
    champions: 0,
    featuresLeft: 0,
    ticketMultiple: 1,
  };
  if (archetype === 'unforeseeable') return story;
  let lead =
    archetype === 'abrupt_silence'
      ? integerBetween(random, 5, 20)
      : chance(random, 0.78)
        ? integerBetween(random, 30, 75)
        : integerBetween(random, 10, 29);
  switch (archetype) {
    case 'slow_decay':
      // A slow decay takes weeks.
      story.usageLeft = between(random, 0.05, 0.5);
      lead = Math.max(lead, integerBetween(random, 21, 30));
      break;
    case 'champion_loss':
      // The rest of the team is gone at least two weeks before the cancellation.
      story.rampDays = integerBetween(random, 0, 10);
      story.champions = integerBetween(random, 1, 2);
      lead = Math.max(lead, story.rampDays + 14);
      break;
    case 'feature_contraction':
      story.featuresLeft = integerBetween(random, 1, 3);
      break;
    case 'usage_halving':
      story.rampDays = integerBetween(random, 1, 5);
      story.usageLeft = between(random, 0.3, 0.7);
      break;
    case 'support_escalation':
      story.rampDays = integerBetween(random, 1, 7);
      story.ticketMultiple = between(random, 4, 15);
      break;
    default:
      break;
  }
  if (openChurnerShare > 0 && chance(random, openChurnerShare)) {
    // Still in its pattern at `now`: it cancels 7–30 days later, its pattern visible for 10 days at least.
    const ahead = integerBetween(random, 7, 30);
    story.churnDay = lastDay + ahead;
    lead = Math.max(lead, ahead + 10);
  }
  const churnDay = story.churnDay;
  lead = Math.min(lead, churnDay);
  let onsetDay = churnDay - lead;
  if (archetype === 'payment_trouble') onsetDay = onBillableDay(window, onsetDay, churnDay);
  story.onsetDay = onsetDay;
  const leadDays = churnDay - onsetDay;
  if (archetype === 'slow_decay') story.rampDays = leadDays;
  if (archetype === 'feature_contraction')
    story.rampDays = Math.max(1, Math.min(leadDays - 7, Math.round(leadDays * between(random, 0.3, 0.8))));
  return story;
}

/** Payment trouble starts with an invoice due on its onset: move the onset off the 29th–31st (billing days are 1–28). */
function onBillableDay(window: DemoWindow, onsetDay: number, churnDay: number): number {
  const dayOfMonth = new Date(dayStartMs(window, onsetDay)).getUTCDate();
  if (dayOfMonth <= 28) return onsetDay;
  const earlier = onsetDay - (dayOfMonth - 28);
  if (earlier >= 0) return earlier;
  // Early in the window: the 1st of the next month instead, still well before the churn.
  let later = onsetDay;
  while (new Date(dayStartMs(window, later)).getUTCDate() !== 1 && later < churnDay - 5) later++;
  return later;
}

/** Onboarding accounts signed up in the last four weeks; some growing ones inside the window; everyone else before it. */
function signup(
  random: Random,
  archetype: Archetype,
  window: DemoWindow,
  story: ChurnStory | null,
): { signedUpAt: Date; firstActiveDay: number } {
  const lastDay = window.days - 1;
  let firstActiveDay = 0;
  if (archetype === 'onboarding') firstActiveDay = integerBetween(random, Math.max(1, lastDay - 28), lastDay - 1);
  else if (archetype === 'growing' && lastDay - 35 >= 5 && chance(random, 0.4)) firstActiveDay = integerBetween(random, 5, lastDay - 35);
  if (firstActiveDay > 0)
    return { signedUpAt: new Date(dayStartMs(window, firstActiveDay) + integerBetween(random, 8, 16) * HOUR_MS), firstActiveDay };
  // Churners had at least two months of normal use before their pattern started.
  const minimumAge = Math.max(30, 60 - (story?.onsetDay ?? 60));
  const signedUpMs = dayStartMs(window, 0) - integerBetween(random, minimumAge, 1_400) * DAY_MS + integerBetween(random, 8, 16) * HOUR_MS;
  return { signedUpAt: new Date(signedUpMs), firstActiveDay };
}

function habits(
  random: Random,
  archetype: Archetype,
  window: DemoWindow,
  team: number,
  firstActiveDay: number,
  story: ChurnStory | null,
): DemoBehaviour {
  // In big teams a smaller share of users is active on a given day.
  let participation = team <= 3 ? between(random, 0.5, 0.9) : team <= 8 ? between(random, 0.35, 0.7) : between(random, 0.2, 0.5);
  let weekdayUse = between(random, 0.92, 0.99);
  let weekendUse = between(random, 0.05, 0.6);
  let cadenceWeekdays: number[] | null = null;
  let featureCount = integerBetween(random, 5, 13);
  switch (archetype) {
    case 'weekday_business':
      weekendUse = 0;
      break;
    case 'steady_low_cadence':
      // Two or three fixed weekdays, e.g. the weekly reporting and planning days.
      cadenceWeekdays = shuffled(random, [1, 2, 3, 4, 5])
        .slice(0, integerBetween(random, 2, 3))
        .sort((a, b) => a - b);
      weekdayUse = between(random, 0.85, 0.97);
      weekendUse = 0;
      featureCount = integerBetween(random, 3, 7);
      break;
    case 'seasonal':
      weekendUse = Math.max(0.1, weekendUse);
      break;
    case 'champion_loss':
      participation = Math.max(participation, 0.4);
      break;
    case 'payment_trouble':
      // A busy account: its use gives no warning, its payments do.
      participation = Math.min(0.95, participation + 0.15);
      weekdayUse = between(random, 0.97, 0.995);
      break;
    case 'feature_contraction':
    case 'growing':
    case 'onboarding':
      featureCount = integerBetween(random, 6, 13);
      break;
    case 'detractor':
      // So-so use throughout: lukewarm, not declining.
      participation *= between(random, 0.6, 0.85);
      weekdayUse = between(random, 0.6, 0.85);
      featureCount = integerBetween(random, 4, 8);
      break;
    default:
      break;
  }
  return {
    firstActiveDay,
    initialUsers: team,
    userAddedDays: [],
    features: shuffled(random, FEATURES).slice(0, featureCount),
    participation,
    weekdayUse,
    weekendUse,
    cadenceWeekdays,
    usesApi: chance(random, team >= 5 ? 0.4 : 0.1),
    peakHourUtc: integerBetween(random, 9, 16),
    holiday: archetype === 'seasonal' ? holidayOf(random, window) : null,
    badStretch: archetype === 'recovering' ? badStretchOf(random, window) : null,
    ticketRate: between(random, 1 / 120, 1 / 25),
    churn: story,
    npsSurveyDays: [],
  };
}

/** A 7–21-day holiday with a normal stretch before and at least a week of normal use after. */
function holidayOf(random: Random, window: DemoWindow): DayRange {
  const lastDay = window.days - 1;
  const earliest = Math.max(2, Math.floor(window.days * 0.15));
  const length = Math.min(integerBetween(random, 7, 21), lastDay - 8 - earliest);
  const from = integerBetween(random, earliest, lastDay - 8 - length);
  return { from, to: from + length };
}

/** A bad stretch of 20–35 days that ended at least 10 days ago, anywhere in the later two thirds of the window. */
function badStretchOf(random: Random, window: DemoWindow): DayRange {
  const latestEnd = window.days - 11;
  const to = integerBetween(random, Math.min(latestEnd, Math.max(20, Math.ceil(window.days * 0.3))), latestEnd);
  return { from: Math.max(0, to - integerBetween(random, 20, 35)), to };
}

/** A day in [from, to] on which the account is in use, or null after a few tries. */
function dayInUse(
  random: Random,
  customer: { archetype: Archetype; behaviour: DemoBehaviour },
  window: DemoWindow,
  from: number,
  to: number,
): number | null {
  if (to < from) return null;
  for (let attempt = 0; attempt < 12; attempt++) {
    const day = integerBetween(random, from, to);
    if (dayActivity(customer, window, day).use > 0) return day;
  }
  return null;
}

/**
 * Who joins when: growing accounts start with ~40 % of their team and add the rest (two in the last
 * 30 days), onboarding accounts over their first three weeks, others someone now and then. Churners
 * add nobody once their pattern has started.
 */
function addUsers(random: Random, customer: { archetype: Archetype; behaviour: DemoBehaviour }, window: DemoWindow, team: number): void {
  const b = customer.behaviour;
  const lastDay = window.days - 1;
  const days: Array<number | null> = [];
  if (customer.archetype === 'growing') {
    b.initialUsers = Math.max(1, Math.ceil(team * 0.4));
    const toAdd = Math.max(3, team - b.initialUsers);
    const span = lastDay - 1 - b.firstActiveDay;
    for (let i = 0; i < toAdd; i++) {
      // Spread over the account's life, the last two within the last 30 days.
      const around =
        i >= toAdd - 2 ? lastDay - integerBetween(random, 5, 25) : b.firstActiveDay + Math.round(((i + 1) / (toAdd + 1)) * span);
      days.push(dayInUse(random, customer, window, Math.max(b.firstActiveDay + 1, around - 4), Math.min(lastDay - 1, around + 4)));
    }
  } else if (customer.archetype === 'onboarding') {
    b.initialUsers = Math.min(team, integerBetween(random, 1, 2));
    for (let i = b.initialUsers; i < team; i++)
      days.push(dayInUse(random, customer, window, b.firstActiveDay + 1, Math.min(lastDay - 1, b.firstActiveDay + 21)));
  } else {
    const until = Math.min(lastDay - 1, (b.churn?.onsetDay ?? b.churn?.churnDay ?? lastDay) - 1);
    for (let day = Math.max(1, b.firstActiveDay + 1); day <= until; day++) {
      if (chance(random, 0.012) && dayActivity(customer, window, day).use > 0) days.push(day);
    }
  }
  b.userAddedDays = days.filter((day): day is number => day !== null).sort((a, b2) => a - b2);
}

/** Seats above the team for most accounts, close to it for a quarter. Growing accounts outgrow theirs (see changesOfPlan). */
function initialSeats(random: Random, archetype: Archetype, b: DemoBehaviour): number {
  const finalTeam = b.initialUsers + b.userAddedDays.length;
  const factor = chance(random, 0.25) ? between(random, 1, 1.15) : between(random, 1.2, 3);
  if (archetype === 'growing') return Math.max(b.initialUsers, Math.ceil((b.initialUsers + 1) * factor));
  return Math.max(finalTeam, Math.ceil(finalTeam * factor));
}

interface InitialPlan {
  seats: number;
  arrCents: number;
  arrStep: number;
}

/** A change to `share` of the current seats (at least one seat less or more), with the ARR following the seats. */
function resized(
  random: Random,
  window: DemoWindow,
  day: number,
  current: { seats: number; arrCents: number },
  seats: number,
  arrStep: number,
): DemoPlanChange {
  const ratio = seats / current.seats;
  const arrCents = Math.max(arrStep * 100, roundTo((current.arrCents * (seats === current.seats ? 0.7 : ratio)) / 100, arrStep) * 100);
  return { at: workingTime(random, window, day), seats, arrCents };
}

function lowered(seats: number, share: number): number {
  return Math.max(1, Math.min(seats - 1, Math.round(seats * share)));
}

/**
 * Contraction before the churn (most payment_trouble accounts, some slow_decay ones), an upsell when
 * a growing account outgrows its seats, and now and then a benign resize of a healthy account (a
 * contraction that is not followed by churn).
 */
function changesOfPlan(random: Random, archetype: Archetype, window: DemoWindow, b: DemoBehaviour, plan: InitialPlan): DemoPlanChange[] {
  const lastDay = window.days - 1;
  const current = { seats: plan.seats, arrCents: plan.arrCents };
  const story = b.churn;
  if (story && story.onsetDay !== null) {
    const contracts = (archetype === 'payment_trouble' && chance(random, 0.7)) || (archetype === 'slow_decay' && chance(random, 0.4));
    if (!contracts) return [];
    const lead = story.churnDay - story.onsetDay;
    const from = archetype === 'payment_trouble' ? story.onsetDay : story.onsetDay + Math.floor(lead * 0.4);
    const day = integerBetween(random, Math.min(from, story.churnDay - 3), Math.max(from, story.churnDay - 7));
    return [resized(random, window, day, current, lowered(current.seats, between(random, 0.3, 0.8)), plan.arrStep)];
  }
  if (archetype === 'growing') {
    let users = b.initialUsers;
    for (const day of b.userAddedDays) {
      users++;
      if (users > plan.seats)
        return [
          resized(
            random,
            window,
            day,
            current,
            Math.ceil((b.initialUsers + b.userAddedDays.length) * between(random, 1.1, 1.6)),
            plan.arrStep,
          ),
        ];
    }
    return [];
  }
  if ((archetype === 'steady' || archetype === 'weekday_business') && lastDay >= 14) {
    const roll = random();
    const day = integerBetween(random, 7, lastDay - 1);
    if (roll < 0.03) return [resized(random, window, day, current, lowered(current.seats, between(random, 0.7, 0.9)), plan.arrStep)];
    if (roll < 0.07) return [resized(random, window, day, current, Math.ceil(current.seats * between(random, 1.1, 1.5)) + 1, plan.arrStep)];
  }
  return [];
}

/**
 * Quarterly-ish surveys (the latest 5–55 days ago, then every 80–100 days back); detractors also
 * get one in the last six weeks before they cancel (and another after the onset when it is long
 * before), answered within four days.
 */
function surveyDays(random: Random, archetype: Archetype, window: DemoWindow, b: DemoBehaviour): number[] {
  const lastDay = window.days - 1;
  const days = new Set<number>();
  for (let day = lastDay - integerBetween(random, 5, 55); day >= b.firstActiveDay; day -= integerBetween(random, 80, 100)) days.add(day);
  const story = b.churn;
  if (archetype === 'detractor' && story && story.onsetDay !== null) {
    const latest = Math.max(story.onsetDay, story.churnDay - 6);
    days.add(integerBetween(random, Math.max(story.onsetDay, story.churnDay - 42), latest));
    if (story.churnDay - story.onsetDay >= 35) days.add(integerBetween(random, story.onsetDay, latest));
  }
  return [...days].sort((a, c) => a - c);
}

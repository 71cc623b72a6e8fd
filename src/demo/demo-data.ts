// The demo data set as a labelled synthetic population: customers in archetypes (healthy ones, traps
// that look alarming but never churn, and churners each with its leading pattern), all derived from a
// seed. Only the customers are held in memory; their signals are generated per customer and day on
// demand (demo-signals.ts), and load-demo-data.ts feeds them through the service's ingestion code.
import type { Archetype } from './demo-archetypes';
import { assignArchetypes, isChurnArchetype } from './demo-archetypes';
import { DayRange, demoWindow, DemoWindow } from './demo-calendar';
import { buildCustomer, NAME_FIRST, NAME_SECOND } from './demo-customers';
import { randomFor, shuffled } from './seeded-random';

export { demoCustomerId } from './demo-customers';

export interface DemoOptions {
  /** Number of customers, 1 to 100,000. Default 2,000. */
  customers: number;
  /** Days of signals ending at `now` (today is the last, partial day), 30 to 365. Default 180. */
  days: number;
  /** Everything is derived from it: the same seed and `now` give the same data set. */
  seed: number;
  /** End of the data set; nothing is generated after it. */
  now: Date;
  /**
   * Share of the foreseeable churners still in their leading pattern at `now` (they cancel 7–30 days
   * later, so they are not churned yet): what a live worklist holds. Default 0: every churner has
   * cancelled, as a backtest's labelled population needs.
   */
  openChurnerShare?: number;
}

/** `npm run demo:seed`'s defaults: a fifth of the churners are still to be saved at `now`. */
export const DEFAULT_DEMO_OPTIONS = { customers: 2000, days: 180, seed: 1, openChurnerShare: 0.2 } as const;
export const MIN_DEMO_DAYS = 30;
export const MAX_DEMO_DAYS = 365;
export const MAX_DEMO_CUSTOMERS = 100_000;

export type Plan = 'starter' | 'growth' | 'business' | 'enterprise';

/** A change of the plan's size, in force from `at`. */
export interface DemoPlanChange {
  at: Date;
  seats: number;
  arrCents: number;
}

/**
 * A churner's story in window days. The pattern grows from `onsetDay` to full strength over
 * `rampDays`; from `churnDay` on nothing at all is generated.
 */
export interface ChurnStory {
  churnDay: number;
  /** First day of the leading pattern (≥ 0); null for unforeseeable churners. */
  onsetDay: number | null;
  rampDays: number;
  /** Share of the usual use left at full strength (slow_decay: at the churn; usage_halving: after the drop); 1 otherwise. */
  usageLeft: number;
  /** champion_loss: the users who keep using the product (users 1…champions). */
  champions: number;
  /** feature_contraction: features still used at full strength. */
  featuresLeft: number;
  /** support_escalation: the ticket rate after onset as a multiple of the account's own rate. */
  ticketMultiple: number;
}

/** How a customer's signals are shaped over the window. Days are window indices (0 = first day). */
export interface DemoBehaviour {
  /** First day with signals: 0, or the signup day for accounts that signed up inside the window. */
  firstActiveDay: number;
  /** Users at the start of the window; `userAddedDays` adds one each. */
  initialUsers: number;
  userAddedDays: number[];
  /** Adopted features, most used first (growing and onboarding accounts adopt them in this order). */
  features: string[];
  /** Probability that one user is active on a day the account is in use. */
  participation: number;
  /** Chance that the account is in use on a weekday, and on a weekend day (0 for weekday-only accounts). */
  weekdayUse: number;
  weekendUse: number;
  /** steady_low_cadence: the only weekdays (0 = Sunday) the account is used on; null for every day. */
  cadenceWeekdays: number[] | null;
  /** Accounts with an integration also produce api_call events, naming no user, on every weekday until they cancel. */
  usesApi: boolean;
  /** Hour (UTC) around which the account's users work. */
  peakHourUtc: number;
  /** seasonal: a holiday without any activity; the days just before and after it are always in use. */
  holiday: DayRange | null;
  /** recovering: a bad stretch (little use, a failed payment, unhappy tickets) the account got over. */
  badStretch: DayRange | null;
  /** Tickets per day in use, in normal times. */
  ticketRate: number;
  churn: ChurnStory | null;
  /** Days of the NPS surveys sent to the account. */
  npsSurveyDays: number[];
}

export interface DemoCustomer {
  /** Population index, 0-based; the id is derived from it. */
  index: number;
  id: string;
  name: string;
  archetype: Archetype;
  plan: Plan;
  /** ARR and seats at the start of the window (or at signup); later changes are in `planChanges`. */
  arrCents: number;
  seats: number;
  /** Seat or ARR changes inside the window, oldest first. */
  planChanges: DemoPlanChange[];
  signedUpAt: Date;
  csmOwner: string | null;
  communicationOptOut: boolean;
  churnedAt: Date | null;
  churnReason: string | null;
  /** When the leading pattern started; null for healthy accounts and unforeseeable churners. */
  signalOnsetAt: Date | null;
  currency: 'USD' | 'EUR' | 'GBP';
  billing: 'monthly' | 'annual';
  /** Invoices fall due on this day of the month (1–28). */
  billingDayOfMonth: number;
  /** Email domain of the account's users (reserved `.example` TLD). */
  domain: string;
  behaviour: DemoBehaviour;
}

export interface DemoDataSet {
  options: DemoOptions;
  window: DemoWindow;
  customers: DemoCustomer[];
}

/** What a backtest scores a churn prediction against, one per customer. */
export interface PopulationLabel {
  customerId: string;
  archetype: Archetype;
  churnedAt: Date | null;
  churnReason: string | null;
  /** The leading pattern (the churn archetype), also of a churner still in it at `now`; null for customers who do not churn. */
  churnPattern: string | null;
  signalOnsetAt: Date | null;
  /** False only for unforeseeable churners: nothing in their signals announces the churn. */
  foreseeable: boolean;
}

function checkOptions(options: DemoOptions): void {
  if (!Number.isInteger(options.customers) || options.customers < 1 || options.customers > MAX_DEMO_CUSTOMERS) {
    throw new RangeError(`customers must be an integer from 1 to ${MAX_DEMO_CUSTOMERS}, got ${options.customers}`);
  }
  if (!Number.isInteger(options.days) || options.days < MIN_DEMO_DAYS || options.days > MAX_DEMO_DAYS) {
    throw new RangeError(`days must be an integer from ${MIN_DEMO_DAYS} to ${MAX_DEMO_DAYS}, got ${options.days}`);
  }
  if (!Number.isInteger(options.seed)) throw new RangeError(`seed must be an integer, got ${options.seed}`);
  if (Number.isNaN(options.now.getTime())) throw new RangeError('now is not a valid date');
  const share = options.openChurnerShare ?? 0;
  if (!(share >= 0 && share <= 1)) throw new RangeError(`openChurnerShare must be from 0 to 1, got ${share}`);
}

/** The customers of the population (a few hundred bytes each); their signals are generated on demand. */
export function buildDemoDataSet(options: DemoOptions): DemoDataSet {
  checkOptions(options);
  const window = demoWindow(options.now, options.days);
  const names = shuffled(
    randomFor(options.seed, 'names'),
    NAME_FIRST.flatMap((first) => NAME_SECOND.map((second) => `${first} ${second}`)),
  );
  const customers = assignArchetypes(options.customers, options.seed).map((archetype, index) =>
    buildCustomer(
      options.seed,
      window,
      index,
      archetype,
      names[index % names.length],
      Math.floor(index / names.length),
      options.openChurnerShare ?? 0,
    ),
  );
  return { options, window, customers };
}

export function populationLabels(dataSet: DemoDataSet): PopulationLabel[] {
  return dataSet.customers.map((customer) => ({
    customerId: customer.id,
    archetype: customer.archetype,
    churnedAt: customer.churnedAt,
    churnReason: customer.churnReason,
    churnPattern: isChurnArchetype(customer.archetype) ? customer.archetype : null,
    signalOnsetAt: customer.signalOnsetAt,
    foreseeable: customer.archetype !== 'unforeseeable',
  }));
}

/** The plan (seats, ARR) in force at an instant: the latest change at or before it, else the initial plan. */
export function planAt(customer: DemoCustomer, at: Date): { seats: number; arrCents: number } {
  let plan = { seats: customer.seats, arrCents: customer.arrCents };
  for (const change of customer.planChanges)
    if (change.at.getTime() <= at.getTime()) plan = { seats: change.seats, arrCents: change.arrCents };
  return plan;
}

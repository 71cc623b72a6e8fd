// The archetypes of the synthetic population and their shares. Most accounts are healthy, some of
// them deliberately look alarming for a while (traps a churn model must not flag); about a fifth
// churn, each after its own leading pattern, and a tenth of those with none at all (label noise).
import { randomFor, shuffled } from './seeded-random';

/** Accounts that never churn, including the traps (low cadence, holidays, brand-new accounts). */
export const HEALTHY_ARCHETYPES = [
  'steady',
  'weekday_business',
  'growing',
  'recovering',
  'steady_low_cadence',
  'seasonal',
  'onboarding',
] as const;

/** Accounts that cancel inside the window; the archetype names the leading pattern. */
export const CHURN_ARCHETYPES = [
  'slow_decay',
  'champion_loss',
  'feature_contraction',
  'usage_halving',
  'payment_trouble',
  'support_escalation',
  'detractor',
  'abrupt_silence',
  'unforeseeable',
] as const;

export const ARCHETYPES = [...HEALTHY_ARCHETYPES, ...CHURN_ARCHETYPES] as const;
export type Archetype = (typeof ARCHETYPES)[number];
export type ChurnArchetype = (typeof CHURN_ARCHETYPES)[number];

/** Share of the population per archetype (sums to 1): healthy 80 %, churners 20 %, a tenth of them unforeseeable. */
export const ARCHETYPE_SHARES: Readonly<Record<Archetype, number>> = {
  steady: 0.33,
  weekday_business: 0.14,
  growing: 0.07,
  recovering: 0.05,
  steady_low_cadence: 0.08,
  seasonal: 0.06,
  onboarding: 0.07,
  slow_decay: 0.03,
  champion_loss: 0.025,
  feature_contraction: 0.02,
  usage_halving: 0.025,
  payment_trouble: 0.025,
  support_escalation: 0.02,
  detractor: 0.02,
  abrupt_silence: 0.015,
  unforeseeable: 0.02,
};

const CHURN_SET: ReadonlySet<Archetype> = new Set(CHURN_ARCHETYPES);

export function isChurnArchetype(archetype: Archetype): archetype is ChurnArchetype {
  return CHURN_SET.has(archetype);
}

/** What the customer said when cancelling, per pattern: what a CRM's churn reason field holds. */
export const CHURN_REASONS: Readonly<Record<ChurnArchetype, readonly string[]>> = {
  slow_decay: [
    'Team stopped using it; not enough value for the price',
    'Usage dwindled after a reorganisation',
    'Never became part of the daily workflow',
  ],
  champion_loss: [
    'Our admin who ran the rollout left the company',
    'Project owner moved to another team; nobody took over',
    'Executive sponsor left',
  ],
  feature_contraction: [
    'Only used exports in the end; moving to a cheaper tool',
    'Replaced most of the workflow with our BI platform',
    'Kept one report, dropped the rest',
  ],
  usage_halving: [
    'Business unit scaled down; budget cut in half',
    'Lost the main client the tool was used for',
    'Seasonal business wound down early',
  ],
  payment_trouble: [
    'Card declined repeatedly; did not update billing details',
    'Company in financial difficulty',
    'Went into administration',
  ],
  support_escalation: ['Too many unresolved issues', 'Repeated outages and slow support', 'Bugs blocked our month-end close'],
  detractor: ['Unhappy with the product', 'Missing features we were promised', 'Too expensive for what we use'],
  abrupt_silence: ['Switched to a competitor', 'Moved to an in-house tool', 'Consolidated tools after a merger'],
  unforeseeable: ['Acquired; the parent company uses another tool', 'Company shut down', 'Procurement freeze across the group'],
};

/**
 * Exact archetype counts by largest remainder (a 40-customer set still gets every archetype),
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

export function countByArchetype(customers: ReadonlyArray<{ archetype: Archetype }>): Record<Archetype, number> {
  const counts = Object.fromEntries(ARCHETYPES.map((a) => [a, 0])) as Record<Archetype, number>;
  for (const customer of customers) counts[customer.archetype]++;
  return counts;
}

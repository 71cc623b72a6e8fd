// The usage model: how much an account is used on each window day, by whom and with how many
// features, following its archetype's story. Events, tickets and surveys all read it, so an account's
// signals tell one consistent story.
import type { Archetype } from './demo-archetypes';
import { DemoWindow, inRange, weekdayOf } from './demo-calendar';
import type { ChurnStory, DemoBehaviour } from './demo-data';

/** What the usage model needs of a customer. */
export interface ShapedCustomer {
  archetype: Archetype;
  behaviour: DemoBehaviour;
}

export interface DayActivity {
  /** Chance that the account is used at all that day (someone logs in). */
  use: number;
  /** Multiplier on each user's participation on a day the account is used. */
  users: number;
}

const IDLE: DayActivity = { use: 0, users: 0 };

/** Users active at weekends relative to weekdays, on the accounts that work at weekends. */
const WEEKEND_USERS = 0.6;

/** A champion of a champion_loss account logs in on almost every day the account is used. */
const CHAMPION_PARTICIPATION = 0.9;

/** 0 before the pattern's onset, then rising to 1 over its ramp. */
export function patternStrength(story: ChurnStory | null, day: number): number {
  if (!story || story.onsetDay === null || day < story.onsetDay) return 0;
  return Math.min(1, (day - story.onsetDay + 1) / Math.max(1, story.rampDays));
}

/** The account's use on a day: its habits (weekdays, weekends, cadence), then its archetype's story. */
export function dayActivity(customer: ShapedCustomer, window: DemoWindow, day: number): DayActivity {
  const b = customer.behaviour;
  if (day < b.firstActiveDay || day >= window.days) return IDLE;
  if (b.churn && day >= b.churn.churnDay) return IDLE;
  if (inRange(b.holiday, day)) return IDLE;
  // Back from the holiday (and busy the day before leaving): the gap is exactly the holiday.
  if (b.holiday && (day === b.holiday.from - 1 || day === b.holiday.to)) return { use: 1, users: 1 };
  const weekday = weekdayOf(window, day);
  const weekend = weekday === 0 || weekday === 6;
  const use = b.cadenceWeekdays ? (b.cadenceWeekdays.includes(weekday) ? b.weekdayUse : 0) : weekend ? b.weekendUse : b.weekdayUse;
  if (use <= 0) return IDLE;
  return followStory(customer, window, day, { use, users: weekend ? WEEKEND_USERS : 1 });
}

function followStory(customer: ShapedCustomer, window: DemoWindow, day: number, usual: DayActivity): DayActivity {
  const b = customer.behaviour;
  const strength = patternStrength(b.churn, day);
  const usageLeft = b.churn?.usageLeft ?? 1;
  switch (customer.archetype) {
    case 'growing': {
      const progress = (day - b.firstActiveDay) / Math.max(1, window.days - 1 - b.firstActiveDay);
      return { use: usual.use * (0.6 + 0.4 * progress), users: usual.users * (0.35 + 0.65 * progress) };
    }
    case 'onboarding':
      return { use: usual.use, users: usual.users * (0.5 + 0.5 * Math.min(1, (day - b.firstActiveDay) / 21)) };
    case 'recovering':
      return inRange(b.badStretch, day) ? { use: usual.use * 0.3, users: usual.users * 0.4 } : usual;
    case 'slow_decay': {
      // Fewer days in use and fewer users on them: events shrink faster than active days.
      const level = 1 - (1 - usageLeft) * strength;
      return { use: usual.use * level, users: usual.users * Math.sqrt(level) };
    }
    case 'usage_halving': {
      // The account is used on about half as many days, each as busy as before: events halve with the days.
      const level = 1 - (1 - usageLeft) * strength;
      return { use: usual.use * level, users: usual.users };
    }
    case 'abrupt_silence':
      return strength > 0 ? IDLE : usual;
    case 'support_escalation':
      return { use: usual.use, users: usual.users * (1 - 0.25 * strength) };
    default:
      return usual;
  }
}

/** The account's team on a day: its users at the start plus those added up to that day. */
export function usersOnDay(behaviour: DemoBehaviour, day: number): number {
  let users = behaviour.initialUsers;
  for (const added of behaviour.userAddedDays) if (added <= day) users++;
  return users;
}

export function usersAddedOn(behaviour: DemoBehaviour, day: number): number {
  let added = 0;
  for (const addedDay of behaviour.userAddedDays) if (addedDay === day) added++;
  return added;
}

/**
 * Whether a user still uses the product: on champion_loss accounts everyone but the champions
 * (users 1…champions) drops out, one after another over the ramp after the onset.
 */
export function isStillUsing(customer: ShapedCustomer, user: number, day: number): boolean {
  const story = customer.behaviour.churn;
  if (customer.archetype !== 'champion_loss' || !story || story.onsetDay === null || user <= story.champions) return true;
  // A fixed, well-spread share of the ramp per user (golden-ratio sequence): no random draw needed.
  const leavesOn = story.onsetDay + Math.floor(story.rampDays * ((user * 0.618_034) % 1));
  return day < leavesOn;
}

/** A user's chance to be active on a day the account is used (before the day's `users` factor). */
export function participationOf(customer: ShapedCustomer, user: number, day: number): number {
  const b = customer.behaviour;
  const story = b.churn;
  if (customer.archetype === 'champion_loss' && story && user <= story.champions && patternStrength(story, day) > 0) {
    return Math.max(b.participation, CHAMPION_PARTICIPATION);
  }
  return b.participation;
}

/** How many of the account's features (most used first) are in use on a day. */
export function featureCountOnDay(customer: ShapedCustomer, window: DemoWindow, day: number): number {
  const b = customer.behaviour;
  const all = b.features.length;
  switch (customer.archetype) {
    case 'growing': {
      const progress = (day - b.firstActiveDay) / Math.max(1, window.days - 1 - b.firstActiveDay);
      return Math.min(all, Math.max(2, Math.ceil(all * (0.35 + 0.65 * progress))));
    }
    case 'onboarding':
      return Math.min(all, 2 + Math.floor((day - b.firstActiveDay) / 4));
    case 'feature_contraction': {
      const left = b.churn?.featuresLeft ?? all;
      return Math.round(all - (all - left) * patternStrength(b.churn, day));
    }
    default:
      return all;
  }
}

// The README's webhook payload is what the service sends: the default model's playbook decides the
// action it shows (its message, channel and trigger) from the account's tiers and scores, and
// webhookPayload writes that body from it, field for field and in order. (test/delivery/webhooks.test.ts
// checks a payload received from the running service against the README's fields and their order.)
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DeliveryItem, webhookPayload } from '../../src/delivery/delivery-messages';
import { decidePlaybookActions, DEFAULT_SCORING_MODEL, PenaltyResult, SignalResult } from '../../src/scoring/model';
import { readmeBlockAfter } from './readme-blocks';

const README = readFileSync(path.join(__dirname, '../../README.md'), 'utf8');
const example = JSON.parse(readmeBlockAfter(README, 'The payload:', 'json'));
const [shown] = example.data.actions;

it('shows the action the default playbook decides for the account shown: its message, previous score, channel and trigger', () => {
  const decided = decidePlaybookActions({
    model: DEFAULT_SCORING_MODEL,
    customer: { id: shown.customer.id, name: shown.customer.name, arrCents: shown.customer.arrCents, communicationOptOut: false },
    previous: { score: shown.previousScore, tierKey: shown.fromTier },
    current: { score: shown.score, tierKey: shown.toTier, trend: 'DECLINING', lifecycleStage: 'ACTIVE' },
    peakScoreInDropWindow: shown.previousScore,
    // Silent for a month: the signal `silence` at 0 and the red flag `long_silence`.
    daysSinceLastActivity: 30,
    wasPreviouslyActive: true,
    firstActivityAt: new Date('2025-01-01T00:00:00Z'),
    tiersInExpansionHold: null,
    recentActions: [],
    now: new Date(shown.createdAt),
  });
  const action = decided.find((planned) => planned.playbook === shown.playbook && planned.action === shown.action);
  const { playbook, audience, channel, trigger, message, escalation, previousScore, fromTier } = shown;
  // The previous score and tier stored with the action, which the payload carries, are the ones its message shows.
  expect(action).toEqual({
    playbook,
    action: shown.action,
    audience,
    channel,
    trigger,
    message,
    previousScore,
    fromTier,
    escalation,
    status: 'DECIDED',
  });
});

it('is the body webhookPayload writes for that action, field for field and in order', () => {
  const { deliveryId, id, playbook, action, audience, channel, trigger, fromTier, toTier, score, escalation, message, createdAt } = shown;
  // The latest score's signals and flags that cost the points shown.
  const signals: SignalResult[] = shown.mostNegativeSignals.map((signal: { name: string; value: number; pointsLost: number }) => {
    const effectiveWeight = signal.pointsLost / ((1 - signal.value) * 100);
    return {
      ...signal,
      component: 'engagement',
      rawValue: signal.value,
      weight: effectiveWeight,
      effectiveWeight,
      contribution: 0,
      missing: false,
    };
  });
  const penalties: PenaltyResult[] = shown.redFlags.map((flag: { name: string; pointsLost: number }) => ({
    name: flag.name,
    rawValue: null,
    points: flag.pointsLost,
    applied: true,
    heldBack: false,
  }));
  // The action's fields in the order the worker loads them (delivery.service.ts), as the received payload has them.
  const item: DeliveryItem = {
    deliveryId,
    action: { id, playbook, action, audience, channel, trigger, fromTier, toTier, score, escalation, message, createdAt },
    customer: shown.customer,
    previousScore: shown.previousScore,
    signals,
    penalties,
    csm: null,
  };
  const payload = webhookPayload(example.data.id, example.data.destination, [item], new Date(example.timestamp));
  expect(JSON.stringify(payload, null, 2)).toBe(JSON.stringify(example, null, 2));
});

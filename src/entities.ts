// Every MikroORM entity, registered in one place for the ORM and the migrator.
import { ApiKey } from './auth/api-key.entity';
import { AuditLogEntry } from './auth/audit-log.entity';
import { Customer } from './customers/customer.entity';
import { CustomerPlanChange } from './customers/customer-plan-change.entity';
import { DemoSeed } from './demo/demo-seed.entity';
import { CsmContact } from './delivery/csm-contact.entity';
import { Delivery } from './delivery/delivery.entity';
import { Destination } from './delivery/destination.entity';
import { EngagementDay } from './engagement/engagement-day.entity';
import { EngagementEvent } from './engagement/engagement-event.entity';
import { Installation } from './infra/installation.entity';
import { NpsResponse } from './nps/nps-response.entity';
import { OutreachAction } from './outreach/outreach-action.entity';
import { Payment } from './payments/payment.entity';
import { PaymentEarlierState } from './payments/payment-earlier-state.entity';
import { HealthScore } from './scoring/health-score.entity';
import { RescoreClaim } from './scoring/rescore-claim.entity';
import { RescoreRequest } from './scoring/rescore-request.entity';
import { ScoringModel } from './scoring/scoring-model.entity';
import { ScoringRun } from './scoring/scoring-run.entity';
import { TierChange } from './scoring/tier-change.entity';
import { SupportTicket } from './support/support-ticket.entity';
import { SupportTicketEarlierState } from './support/support-ticket-earlier-state.entity';
import { SupportTicketStatusChange } from './support/support-ticket-status-change.entity';

export const ENTITIES = [
  Installation,
  Customer,
  CustomerPlanChange,
  EngagementEvent,
  EngagementDay,
  NpsResponse,
  Payment,
  PaymentEarlierState,
  SupportTicket,
  SupportTicketStatusChange,
  SupportTicketEarlierState,
  OutreachAction,
  HealthScore,
  TierChange,
  ScoringModel,
  ScoringRun,
  RescoreRequest,
  RescoreClaim,
  ApiKey,
  AuditLogEntry,
  Destination,
  Delivery,
  CsmContact,
  DemoSeed,
];

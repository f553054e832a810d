import type { AccountPlan } from '../../domain/billing/account-plan.entity.ts';
import type { PaymentGatewayName } from '../../domain/billing/plan.value-objects.ts';
import { token } from '../shared/token.ts';

export interface AccountPlanRepository {
  findByUserId(userId: string): Promise<AccountPlan | null>;
  /** Finds and locks the account until the unit of work ends; use inside `UnitOfWork.transactional`. */
  findByUserIdForUpdate(userId: string): Promise<AccountPlan | null>;
  /** The account whose provider subscription this is, locked like findByUserIdForUpdate. */
  findBySubscriptionIdForUpdate(gateway: PaymentGatewayName, subscriptionId: string): Promise<AccountPlan | null>;
  /** The account whose provider subscription this is: a plain read. */
  findBySubscriptionId(gateway: PaymentGatewayName, subscriptionId: string): Promise<AccountPlan | null>;
  /** Users whose plans have been past due since before `before`, at most `limit`. */
  listPastDueSince(before: Date, limit: number): Promise<string[]>;
  /**
   * Paid plans whose period ended before `before` with no renewal applied: active ones, ones whose
   * renewal was stopped, and linked ones put past due from that period's end, ordered by period end
   * then user, after `after`.
   */
  listPeriodEndedBefore(before: Date, after: PeriodEndCursor | null, limit: number): Promise<PeriodEndCursor[]>;
  save(plan: AccountPlan): Promise<void>;
  /**
   * Stores `plan` unless an account for its user exists already, and returns the stored one:
   * of any number of concurrent first registrations, exactly one wins and all see it.
   */
  insertIfAbsent(plan: AccountPlan): Promise<AccountPlan>;
}

/** A plan's place in the order of period ends. */
export interface PeriodEndCursor {
  readonly periodEnd: Date;
  readonly userId: string;
}

export const ACCOUNT_PLAN_REPOSITORY = token<AccountPlanRepository>('AccountPlanRepository');

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
  /** Users on a paid plan, active or with renewal stopped, whose period ended before `before`, oldest first. */
  listPeriodEndedBefore(before: Date, limit: number): Promise<string[]>;
  save(plan: AccountPlan): Promise<void>;
  /**
   * Stores `plan` unless an account for its user exists already, and returns the stored one:
   * of any number of concurrent first registrations, exactly one wins and all see it.
   */
  insertIfAbsent(plan: AccountPlan): Promise<AccountPlan>;
}

export const ACCOUNT_PLAN_REPOSITORY = token<AccountPlanRepository>('AccountPlanRepository');

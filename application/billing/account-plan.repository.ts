import type { AccountPlan } from '../../domain/billing/account-plan.entity.ts';
import type { PaymentGatewayName } from '../../domain/billing/plan.value-objects.ts';
import { token } from '../shared/token.ts';

/**
 * The account a provider's subscription event is for: the one with that provider subscription,
 * or, for a subscription not linked yet, the user its metadata names.
 */
export interface SubscriptionHolder {
  readonly gateway: PaymentGatewayName;
  readonly subscriptionId: string;
  readonly userId: string | null;
}

export interface AccountPlanRepository {
  findByUserId(userId: string): Promise<AccountPlan | null>;
  /** Finds and locks the account until the unit of work ends; use inside `UnitOfWork.transactional`. */
  findByUserIdForUpdate(userId: string): Promise<AccountPlan | null>;
  /** The account whose provider subscription this is, locked like findByUserIdForUpdate. */
  findBySubscriptionIdForUpdate(gateway: PaymentGatewayName, subscriptionId: string): Promise<AccountPlan | null>;
  /** Whether an account holds the subscription: a plain read, without locks or a unit of work. */
  existsForSubscription(holder: SubscriptionHolder): Promise<boolean>;
  /** Users whose plans have been past due since before `before`, at most `limit`. */
  listPastDueSince(before: Date, limit: number): Promise<string[]>;
  save(plan: AccountPlan): Promise<void>;
  /**
   * Stores `plan` unless an account for its user exists already, and returns the stored one:
   * of any number of concurrent first registrations, exactly one wins and all see it.
   */
  insertIfAbsent(plan: AccountPlan): Promise<AccountPlan>;
}

export const ACCOUNT_PLAN_REPOSITORY = token<AccountPlanRepository>('AccountPlanRepository');

import { defineEntity, p, type EntityCtor } from '@mikro-orm/core';
import { AccountPlan } from '../../domain/billing/account-plan.entity.ts';
import { CountryType } from './country.type.ts';

/** Maps the plain domain class onto `account_plans`; the domain class knows nothing of it. */
export const AccountPlanSchema = defineEntity({
  // MikroORM hydrates without calling constructors, so the domain's private constructor is no
  // obstacle at run time; the cast only says so to the type checker.
  class: AccountPlan as unknown as EntityCtor<AccountPlan>,
  tableName: 'account_plans',
  properties: {
    userId: p.string().primary().fieldName('user_id'),
    country: p.type(CountryType).fieldName('country'),
    paymentGateway: p.string().fieldName('payment_gateway'),
    createdAt: p.datetime().fieldName('created_at'),
    _tier: p.string().fieldName('plan_tier'),
    _billingInterval: p.string().nullable().fieldName('billing_interval'),
    _status: p.string().fieldName('status'),
    _currentPeriodEnd: p.datetime().nullable().fieldName('current_period_end'),
    _providerCustomerId: p.string().nullable().fieldName('provider_customer_id'),
    _providerSubscriptionId: p.string().nullable().fieldName('provider_subscription_id'),
    _updatedAt: p.datetime().fieldName('updated_at'),
    _pastDueSince: p.datetime().nullable().fieldName('past_due_since'),
    _scheduledTier: p.string().nullable().fieldName('scheduled_tier'),
    _scheduledBillingInterval: p.string().nullable().fieldName('scheduled_billing_interval'),
    _scheduledChangeAt: p.datetime().nullable().fieldName('scheduled_change_at'),
  },
});

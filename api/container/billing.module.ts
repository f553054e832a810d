import { ContainerModule } from 'inversify';
import { AccountOpener } from '../../application/billing/account-opener.service.ts';
import { ACCOUNT_PLAN_REPOSITORY } from '../../application/billing/account-plan.repository.ts';
import { CancelRenewalFromOwnPortal } from '../../application/billing/cancel-renewal-from-own-portal.use-case.ts';
import { CancelSubscription } from '../../application/billing/cancel-subscription.use-case.ts';
import { ChangeBillingInterval } from '../../application/billing/change-billing-interval.use-case.ts';
import { ChangePlan } from '../../application/billing/change-plan.use-case.ts';
import { CheckoutCompletion } from '../../application/billing/checkout-completion.service.ts';
import { CHECKOUT_SESSION_REPOSITORY } from '../../application/billing/checkout-session.repository.ts';
import { CloseEarlierPlanCheckouts } from '../../application/billing/close-earlier-plan-checkouts.service.ts';
import { ConfirmPlanChange } from '../../application/billing/confirm-plan-change.use-case.ts';
import { COUNTRY_RESOLVER } from '../../application/billing/country-resolver.port.ts';
import { CreatePortalSession } from '../../application/billing/create-portal-session.use-case.ts';
import { DeclinePlanChange } from '../../application/billing/decline-plan-change.use-case.ts';
import { DescribePlanChange } from '../../application/billing/describe-plan-change.use-case.ts';
import { DUPLICATE_SUBSCRIPTION_REPOSITORY } from '../../application/billing/duplicate-subscription.repository.ts';
import { EndGracePeriods } from '../../application/billing/end-grace-periods.use-case.ts';
import { EndUnrenewedPeriods } from '../../application/billing/end-unrenewed-periods.use-case.ts';
import { FX_RATES } from '../../application/billing/fx-rates.port.ts';
import { GetBillingState } from '../../application/billing/get-billing-state.use-case.ts';
import { HostedCheckouts } from '../../application/billing/hosted-checkouts.service.ts';
import { INVOICE_REPOSITORY } from '../../application/billing/invoice.repository.ts';
import { ListDuplicateSubscriptions } from '../../application/billing/list-duplicate-subscriptions.use-case.ts';
import { ListInvoices } from '../../application/billing/list-invoices.use-case.ts';
import { ListPlans } from '../../application/billing/list-plans.use-case.ts';
import { OpenCheckoutPage } from '../../application/billing/open-checkout-page.use-case.ts';
import { OpenRenewalPayment } from '../../application/billing/open-renewal-payment.use-case.ts';
import { OwnPortalLinks } from '../../application/billing/own-portal-links.service.ts';
import { PAYMENT_GATEWAYS } from '../../application/billing/payment-gateway.port.ts';
import { PlanChangeCompletion } from '../../application/billing/plan-change-completion.service.ts';
import { PLAN_CHANGE_REPOSITORY } from '../../application/billing/plan-change.repository.ts';
import { PlanPricing } from '../../application/billing/plan-pricing.service.ts';
import { ReconcileCheckouts } from '../../application/billing/reconcile-checkouts.use-case.ts';
import { RegisterAccount } from '../../application/billing/register-account.use-case.ts';
import { RenewalPaymentOutcome } from '../../application/billing/renewal-payment-outcome.use-case.ts';
import { RenewalTerms } from '../../application/billing/renewal-terms.service.ts';
import { ReturnFromCheckout } from '../../application/billing/return-from-checkout.use-case.ts';
import { SettleDuplicateSubscriptions } from '../../application/billing/settle-duplicate-subscriptions.use-case.ts';
import { StartPlanCheckout } from '../../application/billing/start-plan-checkout.use-case.ts';
import { SwitchPlanFromOwnPortal } from '../../application/billing/switch-plan-from-own-portal.use-case.ts';
import { SyncCheckout } from '../../application/billing/sync-checkout.service.ts';
import { SyncSubscription } from '../../application/billing/sync-subscription.service.ts';
import { VerifyCheckoutSession } from '../../application/billing/verify-checkout-session.use-case.ts';
import { ViewOwnPortal } from '../../application/billing/view-own-portal.use-case.ts';
import { CLOCK } from '../../application/shared/clock.port.ts';
import { ID_GENERATOR } from '../../application/shared/id-generator.port.ts';
import { SIGNED_LINKS } from '../../application/shared/signed-links.port.ts';
import { UNIT_OF_WORK } from '../../application/shared/unit-of-work.port.ts';
import { WALLET_LEDGER } from '../../application/wallet/wallet-ledger.port.ts';
import { PROVIDER_EVENT_INBOX } from '../../application/webhooks/provider-event-inbox.port.ts';
import type { AppConfig } from '../config.ts';
import { wire } from './wire.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

/** Plans, checkouts, subscriptions and their invoices: each use case and service with the ports it uses. */
export function billingModule(config: AppConfig): ContainerModule {
  const redirects = config.redirectAllowList;
  const graceMs = config.pastDueGraceDays * DAY_MS;
  // Where this server's own pages are (the server fills it in when PUBLIC_URL is not set).
  const publicUrl = config.publicUrl ?? `http://localhost:${config.port}`;
  // What every change of an account's plan reads, locks and records.
  const planRecords = { accounts: ACCOUNT_PLAN_REPOSITORY, planChanges: PLAN_CHANGE_REPOSITORY, uow: UNIT_OF_WORK, ids: ID_GENERATOR, clock: CLOCK } as const;

  return new ContainerModule(({ bind }) => {
    wire(bind, AccountOpener, { accounts: ACCOUNT_PLAN_REPOSITORY, countries: COUNTRY_RESOLVER, clock: CLOCK }, (deps) => new AccountOpener(deps));
    wire(bind, HostedCheckouts, { sessions: CHECKOUT_SESSION_REPOSITORY, gateways: PAYMENT_GATEWAYS }, (deps) => new HostedCheckouts(deps));
    wire(bind, PlanPricing, { rates: FX_RATES }, ({ rates }) => new PlanPricing(rates));
    wire(
      bind,
      SettleDuplicateSubscriptions,
      { duplicates: DUPLICATE_SUBSCRIPTION_REPOSITORY, gateways: PAYMENT_GATEWAYS, uow: UNIT_OF_WORK, clock: CLOCK },
      (deps) => new SettleDuplicateSubscriptions(deps),
    );
    wire(
      bind,
      CheckoutCompletion,
      {
        uow: UNIT_OF_WORK,
        sessions: CHECKOUT_SESSION_REPOSITORY,
        accounts: ACCOUNT_PLAN_REPOSITORY,
        planChanges: PLAN_CHANGE_REPOSITORY,
        invoices: INVOICE_REPOSITORY,
        ledger: WALLET_LEDGER,
        gateways: PAYMENT_GATEWAYS,
        inbox: PROVIDER_EVENT_INBOX,
        duplicates: DUPLICATE_SUBSCRIPTION_REPOSITORY,
        ids: ID_GENERATOR,
        clock: CLOCK,
        settle: SettleDuplicateSubscriptions,
      },
      ({ settle, ...deps }) => new CheckoutCompletion({ ...deps, graceMs, settleDuplicates: (userId) => settle.execute({ userId }) }),
    );
    wire(
      bind,
      CloseEarlierPlanCheckouts,
      { sessions: CHECKOUT_SESSION_REPOSITORY, gateways: PAYMENT_GATEWAYS, completion: CheckoutCompletion },
      (deps) => new CloseEarlierPlanCheckouts(deps),
    );
    wire(bind, ListDuplicateSubscriptions, { duplicates: DUPLICATE_SUBSCRIPTION_REPOSITORY }, ({ duplicates }) => new ListDuplicateSubscriptions(duplicates));
    wire(
      bind,
      PlanChangeCompletion,
      {
        uow: UNIT_OF_WORK,
        sessions: CHECKOUT_SESSION_REPOSITORY,
        accounts: ACCOUNT_PLAN_REPOSITORY,
        planChanges: PLAN_CHANGE_REPOSITORY,
        gateways: PAYMENT_GATEWAYS,
        ids: ID_GENERATOR,
        clock: CLOCK,
      },
      (deps) => new PlanChangeCompletion({ ...deps, graceMs }),
    );
    wire(bind, RegisterAccount, { opener: AccountOpener }, ({ opener }) => new RegisterAccount(opener));
    wire(bind, GetBillingState, { opener: AccountOpener }, ({ opener }) => new GetBillingState(opener));
    wire(bind, ListPlans, { opener: AccountOpener, pricing: PlanPricing }, (deps) => new ListPlans(deps));
    wire(bind, ListInvoices, { invoices: INVOICE_REPOSITORY }, ({ invoices }) => new ListInvoices(invoices));
    wire(
      bind,
      StartPlanCheckout,
      { opener: AccountOpener, checkouts: HostedCheckouts, pricing: PlanPricing, ids: ID_GENERATOR, clock: CLOCK, earlierCheckouts: CloseEarlierPlanCheckouts },
      (deps) => new StartPlanCheckout({ ...deps, redirects }),
    );
    wire(
      bind,
      VerifyCheckoutSession,
      { accounts: ACCOUNT_PLAN_REPOSITORY, completion: CheckoutCompletion, planChanges: PlanChangeCompletion },
      (deps) => new VerifyCheckoutSession(deps),
    );
    wire(
      bind,
      ChangePlan,
      { accounts: ACCOUNT_PLAN_REPOSITORY, gateways: PAYMENT_GATEWAYS, pricing: PlanPricing, completion: PlanChangeCompletion, ids: ID_GENERATOR, clock: CLOCK },
      (deps) => new ChangePlan(deps),
    );
    wire(bind, OwnPortalLinks, { links: SIGNED_LINKS }, (deps) => new OwnPortalLinks({ ...deps, redirects, pageUrl: `${publicUrl}/api/billing/portal/page` }));
    wire(
      bind,
      ViewOwnPortal,
      { portal: OwnPortalLinks, accounts: ACCOUNT_PLAN_REPOSITORY, invoices: INVOICE_REPOSITORY, pricing: PlanPricing },
      (deps) => new ViewOwnPortal(deps),
    );
    wire(bind, CancelRenewalFromOwnPortal, { portal: OwnPortalLinks, cancel: CancelSubscription }, (deps) => new CancelRenewalFromOwnPortal(deps));
    wire(
      bind,
      SwitchPlanFromOwnPortal,
      { portal: OwnPortalLinks, startPlanCheckout: StartPlanCheckout },
      (deps) => new SwitchPlanFromOwnPortal(deps),
    );
    wire(
      bind,
      CreatePortalSession,
      { opener: AccountOpener, gateways: PAYMENT_GATEWAYS, ownPortal: OwnPortalLinks },
      (deps) => new CreatePortalSession({ ...deps, redirects }),
    );
    wire(bind, CancelSubscription, { ...planRecords, gateways: PAYMENT_GATEWAYS }, (deps) => new CancelSubscription(deps));
    wire(bind, ChangeBillingInterval, { ...planRecords, gateways: PAYMENT_GATEWAYS, pricing: PlanPricing }, (deps) => new ChangeBillingInterval(deps));
    wire(bind, OpenCheckoutPage, { sessions: CHECKOUT_SESSION_REPOSITORY, gateways: PAYMENT_GATEWAYS }, (deps) => new OpenCheckoutPage(deps));
    wire(
      bind,
      RenewalTerms,
      { pricing: PlanPricing, gateways: PAYMENT_GATEWAYS, links: SIGNED_LINKS },
      (deps) => new RenewalTerms({ ...deps, renewalUrl: `${publicUrl}/api/billing/renewal` }),
    );
    wire(
      bind,
      OpenRenewalPayment,
      {
        links: SIGNED_LINKS,
        accounts: ACCOUNT_PLAN_REPOSITORY,
        gateways: PAYMENT_GATEWAYS,
        pricing: PlanPricing,
        checkouts: HostedCheckouts,
        uow: UNIT_OF_WORK,
        ids: ID_GENERATOR,
        clock: CLOCK,
      },
      (deps) => new OpenRenewalPayment({ ...deps, donePageUrl: `${publicUrl}/api/billing/renewal/done` }),
    );
    wire(
      bind,
      RenewalPaymentOutcome,
      { sessions: CHECKOUT_SESSION_REPOSITORY, completion: CheckoutCompletion, accounts: ACCOUNT_PLAN_REPOSITORY },
      (deps) => new RenewalPaymentOutcome(deps),
    );
    wire(
      bind,
      DescribePlanChange,
      { sessions: CHECKOUT_SESSION_REPOSITORY, accounts: ACCOUNT_PLAN_REPOSITORY },
      (deps) => new DescribePlanChange(deps),
    );
    wire(
      bind,
      ConfirmPlanChange,
      { sessions: CHECKOUT_SESSION_REPOSITORY, accounts: ACCOUNT_PLAN_REPOSITORY, gateways: PAYMENT_GATEWAYS, completion: PlanChangeCompletion },
      (deps) => new ConfirmPlanChange(deps),
    );
    wire(bind, DeclinePlanChange, { sessions: CHECKOUT_SESSION_REPOSITORY }, ({ sessions }) => new DeclinePlanChange(sessions));
    wire(
      bind,
      ReturnFromCheckout,
      { sessions: CHECKOUT_SESSION_REPOSITORY, gateways: PAYMENT_GATEWAYS, completion: CheckoutCompletion },
      (deps) => new ReturnFromCheckout(deps),
    );
    wire(
      bind,
      ReconcileCheckouts,
      { sessions: CHECKOUT_SESSION_REPOSITORY, completion: CheckoutCompletion, clock: CLOCK, planChanges: PlanChangeCompletion },
      (deps) => new ReconcileCheckouts(deps),
    );
    wire(bind, EndGracePeriods, planRecords, (deps) => new EndGracePeriods({ ...deps, graceMs }));
    wire(
      bind,
      EndUnrenewedPeriods,
      { ...planRecords, invoices: INVOICE_REPOSITORY, gateways: PAYMENT_GATEWAYS },
      (deps) => new EndUnrenewedPeriods({ ...deps, graceMs }),
    );
    // The reads of a checkout and of a subscription that the inbox's workers apply (webhooks.module.ts).
    wire(
      bind,
      SyncCheckout,
      { sessions: CHECKOUT_SESSION_REPOSITORY, completion: CheckoutCompletion, gateways: PAYMENT_GATEWAYS },
      (deps) => new SyncCheckout(deps),
    );
    wire(
      bind,
      SyncSubscription,
      { ...planRecords, sessions: CHECKOUT_SESSION_REPOSITORY, checkouts: SyncCheckout, invoices: INVOICE_REPOSITORY, gateways: PAYMENT_GATEWAYS },
      (deps) => new SyncSubscription({ ...deps, graceMs }),
    );
  });
}

import { ContainerModule } from 'inversify';
import { AccountOpener } from '../../application/billing/account-opener.service.ts';
import { ACCOUNT_PLAN_REPOSITORY, type AccountPlanRepository } from '../../application/billing/account-plan.repository.ts';
import { CancelSubscription } from '../../application/billing/cancel-subscription.use-case.ts';
import { ChangeBillingInterval } from '../../application/billing/change-billing-interval.use-case.ts';
import { ChangePlan } from '../../application/billing/change-plan.use-case.ts';
import { CheckoutCompletion } from '../../application/billing/checkout-completion.service.ts';
import { CHECKOUT_SESSION_REPOSITORY, type CheckoutSessionRepository } from '../../application/billing/checkout-session.repository.ts';
import { CloseEarlierPlanCheckouts } from '../../application/billing/close-earlier-plan-checkouts.service.ts';
import { ConfirmPlanChange } from '../../application/billing/confirm-plan-change.use-case.ts';
import { COUNTRY_RESOLVER, type CountryResolver } from '../../application/billing/country-resolver.port.ts';
import { CreatePortalSession } from '../../application/billing/create-portal-session.use-case.ts';
import { DUPLICATE_SUBSCRIPTION_REPOSITORY, type DuplicateSubscriptionRepository } from '../../application/billing/duplicate-subscription.repository.ts';
import { EndGracePeriods } from '../../application/billing/end-grace-periods.use-case.ts';
import { EndUnrenewedPeriods } from '../../application/billing/end-unrenewed-periods.use-case.ts';
import { FX_RATES, type FxRates } from '../../application/billing/fx-rates.port.ts';
import { GetBillingState } from '../../application/billing/get-billing-state.use-case.ts';
import { HostedCheckouts } from '../../application/billing/hosted-checkouts.service.ts';
import { INVOICE_REPOSITORY, type InvoiceRepository } from '../../application/billing/invoice.repository.ts';
import { ListDuplicateSubscriptions } from '../../application/billing/list-duplicate-subscriptions.use-case.ts';
import { ListInvoices } from '../../application/billing/list-invoices.use-case.ts';
import { ListPlans } from '../../application/billing/list-plans.use-case.ts';
import { OpenCheckoutPage } from '../../application/billing/open-checkout-page.use-case.ts';
import { OwnBillingPortal } from '../../application/billing/own-billing-portal.use-case.ts';
import { PAYMENT_GATEWAYS, type PaymentGateways } from '../../application/billing/payment-gateway.port.ts';
import { PlanChangeCompletion } from '../../application/billing/plan-change-completion.service.ts';
import { PLAN_CHANGE_REPOSITORY, type PlanChangeRepository } from '../../application/billing/plan-change.repository.ts';
import { PlanPricing } from '../../application/billing/plan-pricing.service.ts';
import { ReconcileCheckouts } from '../../application/billing/reconcile-checkouts.use-case.ts';
import { RegisterAccount } from '../../application/billing/register-account.use-case.ts';
import { RenewalPayments } from '../../application/billing/renewal-payments.use-case.ts';
import { ReturnFromCheckout } from '../../application/billing/return-from-checkout.use-case.ts';
import { SettleDuplicateSubscriptions } from '../../application/billing/settle-duplicate-subscriptions.use-case.ts';
import { StartPlanCheckout } from '../../application/billing/start-plan-checkout.use-case.ts';
import { SyncCheckout } from '../../application/billing/sync-checkout.use-case.ts';
import { SyncSubscription } from '../../application/billing/sync-subscription.use-case.ts';
import { VerifyCheckoutSession } from '../../application/billing/verify-checkout-session.use-case.ts';
import { CLOCK, type Clock } from '../../application/shared/clock.port.ts';
import { ID_GENERATOR, type IdGenerator } from '../../application/shared/id-generator.port.ts';
import { SIGNED_LINKS, type SignedLinks } from '../../application/shared/signed-links.port.ts';
import { UNIT_OF_WORK, type UnitOfWork } from '../../application/shared/unit-of-work.port.ts';
import { WALLET_LEDGER, type WalletLedger } from '../../application/wallet/wallet-ledger.port.ts';
import { PROVIDER_EVENT_INBOX, type ProviderEventInbox } from '../../application/webhooks/provider-event-inbox.port.ts';
import type { AppConfig } from '../config.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

/** Plans, checkouts, subscriptions and their invoices: each use case and service with the ports it uses. */
export function billingModule(config: AppConfig): ContainerModule {
  const redirects = config.redirectAllowList;
  const graceMs = config.pastDueGraceDays * DAY_MS;
  // Where this server's own pages are (the server fills it in when PUBLIC_URL is not set).
  const publicUrl = config.publicUrl ?? `http://localhost:${config.port}`;

  return new ContainerModule(({ bind }) => {
    bind(AccountOpener).toResolvedValue(
      (accounts: AccountPlanRepository, countries: CountryResolver, clock: Clock) => new AccountOpener(accounts, countries, clock),
      [ACCOUNT_PLAN_REPOSITORY, COUNTRY_RESOLVER, CLOCK],
    );
    bind(HostedCheckouts).toResolvedValue(
      (sessions: CheckoutSessionRepository, gateways: PaymentGateways) => new HostedCheckouts(sessions, gateways),
      [CHECKOUT_SESSION_REPOSITORY, PAYMENT_GATEWAYS],
    );
    bind(PlanPricing).toResolvedValue((rates: FxRates) => new PlanPricing(rates), [FX_RATES]);
    bind(SettleDuplicateSubscriptions).toResolvedValue(
      (duplicates: DuplicateSubscriptionRepository, gateways: PaymentGateways, uow: UnitOfWork, clock: Clock) =>
        new SettleDuplicateSubscriptions({ duplicates, gateways, uow, clock }),
      [DUPLICATE_SUBSCRIPTION_REPOSITORY, PAYMENT_GATEWAYS, UNIT_OF_WORK, CLOCK],
    );
    bind(CheckoutCompletion).toResolvedValue(
      (
        uow: UnitOfWork,
        sessions: CheckoutSessionRepository,
        accounts: AccountPlanRepository,
        planChanges: PlanChangeRepository,
        invoices: InvoiceRepository,
        ledger: WalletLedger,
        gateways: PaymentGateways,
        inbox: ProviderEventInbox,
        duplicates: DuplicateSubscriptionRepository,
        ids: IdGenerator,
        clock: Clock,
        settle: SettleDuplicateSubscriptions,
      ) =>
        new CheckoutCompletion({
          uow,
          sessions,
          accounts,
          planChanges,
          invoices,
          ledger,
          gateways,
          inbox,
          duplicates,
          ids,
          clock,
          graceMs,
          settleDuplicates: (userId) => settle.execute({ userId }),
        }),
      [
        UNIT_OF_WORK,
        CHECKOUT_SESSION_REPOSITORY,
        ACCOUNT_PLAN_REPOSITORY,
        PLAN_CHANGE_REPOSITORY,
        INVOICE_REPOSITORY,
        WALLET_LEDGER,
        PAYMENT_GATEWAYS,
        PROVIDER_EVENT_INBOX,
        DUPLICATE_SUBSCRIPTION_REPOSITORY,
        ID_GENERATOR,
        CLOCK,
        SettleDuplicateSubscriptions,
      ],
    );
    bind(CloseEarlierPlanCheckouts).toResolvedValue(
      (sessions: CheckoutSessionRepository, gateways: PaymentGateways, completion: CheckoutCompletion) => new CloseEarlierPlanCheckouts({ sessions, gateways, completion }),
      [CHECKOUT_SESSION_REPOSITORY, PAYMENT_GATEWAYS, CheckoutCompletion],
    );
    bind(ListDuplicateSubscriptions).toResolvedValue(
      (duplicates: DuplicateSubscriptionRepository) => new ListDuplicateSubscriptions(duplicates),
      [DUPLICATE_SUBSCRIPTION_REPOSITORY],
    );
    bind(PlanChangeCompletion).toResolvedValue(
      (
        uow: UnitOfWork,
        sessions: CheckoutSessionRepository,
        accounts: AccountPlanRepository,
        planChanges: PlanChangeRepository,
        gateways: PaymentGateways,
        ids: IdGenerator,
        clock: Clock,
      ) => new PlanChangeCompletion({ uow, sessions, accounts, planChanges, gateways, ids, clock, graceMs }),
      [UNIT_OF_WORK, CHECKOUT_SESSION_REPOSITORY, ACCOUNT_PLAN_REPOSITORY, PLAN_CHANGE_REPOSITORY, PAYMENT_GATEWAYS, ID_GENERATOR, CLOCK],
    );
    bind(RegisterAccount).toResolvedValue((opener: AccountOpener) => new RegisterAccount(opener), [AccountOpener]);
    bind(GetBillingState).toResolvedValue((opener: AccountOpener) => new GetBillingState(opener), [AccountOpener]);
    bind(ListPlans).toResolvedValue((opener: AccountOpener, pricing: PlanPricing) => new ListPlans(opener, pricing), [AccountOpener, PlanPricing]);
    bind(ListInvoices).toResolvedValue((invoices: InvoiceRepository) => new ListInvoices(invoices), [INVOICE_REPOSITORY]);
    bind(StartPlanCheckout).toResolvedValue(
      (opener: AccountOpener, checkouts: HostedCheckouts, pricing: PlanPricing, ids: IdGenerator, clock: Clock, earlierCheckouts: CloseEarlierPlanCheckouts) =>
        new StartPlanCheckout({ opener, checkouts, pricing, redirects, ids, clock, earlierCheckouts }),
      [AccountOpener, HostedCheckouts, PlanPricing, ID_GENERATOR, CLOCK, CloseEarlierPlanCheckouts],
    );
    bind(VerifyCheckoutSession).toResolvedValue(
      (accounts: AccountPlanRepository, completion: CheckoutCompletion, planChanges: PlanChangeCompletion) => new VerifyCheckoutSession(accounts, completion, planChanges),
      [ACCOUNT_PLAN_REPOSITORY, CheckoutCompletion, PlanChangeCompletion],
    );
    bind(ChangePlan).toResolvedValue(
      (accounts: AccountPlanRepository, gateways: PaymentGateways, pricing: PlanPricing, completion: PlanChangeCompletion, ids: IdGenerator, clock: Clock) =>
        new ChangePlan({ accounts, gateways, pricing, completion, ids, clock }),
      [ACCOUNT_PLAN_REPOSITORY, PAYMENT_GATEWAYS, PlanPricing, PlanChangeCompletion, ID_GENERATOR, CLOCK],
    );
    bind(OwnBillingPortal).toResolvedValue(
      (
        accounts: AccountPlanRepository,
        invoices: InvoiceRepository,
        pricing: PlanPricing,
        links: SignedLinks,
        cancel: CancelSubscription,
        startPlanCheckout: StartPlanCheckout,
      ) => new OwnBillingPortal({ accounts, invoices, pricing, links, redirects, cancel, startPlanCheckout, pageUrl: `${publicUrl}/api/billing/portal/page` }),
      [ACCOUNT_PLAN_REPOSITORY, INVOICE_REPOSITORY, PlanPricing, SIGNED_LINKS, CancelSubscription, StartPlanCheckout],
    );
    bind(CreatePortalSession).toResolvedValue(
      (opener: AccountOpener, gateways: PaymentGateways, ownPortal: OwnBillingPortal) => new CreatePortalSession({ opener, gateways, redirects, ownPortal }),
      [AccountOpener, PAYMENT_GATEWAYS, OwnBillingPortal],
    );
    bind(CancelSubscription).toResolvedValue(
      (accounts: AccountPlanRepository, planChanges: PlanChangeRepository, gateways: PaymentGateways, uow: UnitOfWork, ids: IdGenerator, clock: Clock) =>
        new CancelSubscription({ accounts, planChanges, gateways, uow, ids, clock }),
      [ACCOUNT_PLAN_REPOSITORY, PLAN_CHANGE_REPOSITORY, PAYMENT_GATEWAYS, UNIT_OF_WORK, ID_GENERATOR, CLOCK],
    );
    bind(ChangeBillingInterval).toResolvedValue(
      (
        accounts: AccountPlanRepository,
        planChanges: PlanChangeRepository,
        gateways: PaymentGateways,
        pricing: PlanPricing,
        uow: UnitOfWork,
        ids: IdGenerator,
        clock: Clock,
      ) => new ChangeBillingInterval({ accounts, planChanges, gateways, pricing, uow, ids, clock }),
      [ACCOUNT_PLAN_REPOSITORY, PLAN_CHANGE_REPOSITORY, PAYMENT_GATEWAYS, PlanPricing, UNIT_OF_WORK, ID_GENERATOR, CLOCK],
    );
    bind(OpenCheckoutPage).toResolvedValue(
      (sessions: CheckoutSessionRepository, gateways: PaymentGateways) => new OpenCheckoutPage(sessions, gateways),
      [CHECKOUT_SESSION_REPOSITORY, PAYMENT_GATEWAYS],
    );
    bind(RenewalPayments).toResolvedValue(
      (
        accounts: AccountPlanRepository,
        sessions: CheckoutSessionRepository,
        gateways: PaymentGateways,
        pricing: PlanPricing,
        checkouts: HostedCheckouts,
        completion: CheckoutCompletion,
        links: SignedLinks,
        uow: UnitOfWork,
        ids: IdGenerator,
        clock: Clock,
      ) =>
        new RenewalPayments({
          accounts,
          sessions,
          gateways,
          pricing,
          checkouts,
          completion,
          links,
          uow,
          ids,
          clock,
          renewalUrl: `${publicUrl}/api/billing/renewal`,
          donePageUrl: `${publicUrl}/api/billing/renewal/done`,
        }),
      [
        ACCOUNT_PLAN_REPOSITORY,
        CHECKOUT_SESSION_REPOSITORY,
        PAYMENT_GATEWAYS,
        PlanPricing,
        HostedCheckouts,
        CheckoutCompletion,
        SIGNED_LINKS,
        UNIT_OF_WORK,
        ID_GENERATOR,
        CLOCK,
      ],
    );
    bind(ConfirmPlanChange).toResolvedValue(
      (sessions: CheckoutSessionRepository, accounts: AccountPlanRepository, gateways: PaymentGateways, completion: PlanChangeCompletion) =>
        new ConfirmPlanChange({ sessions, accounts, gateways, completion }),
      [CHECKOUT_SESSION_REPOSITORY, ACCOUNT_PLAN_REPOSITORY, PAYMENT_GATEWAYS, PlanChangeCompletion],
    );
    bind(ReturnFromCheckout).toResolvedValue(
      (sessions: CheckoutSessionRepository, gateways: PaymentGateways, completion: CheckoutCompletion) => new ReturnFromCheckout(sessions, gateways, completion),
      [CHECKOUT_SESSION_REPOSITORY, PAYMENT_GATEWAYS, CheckoutCompletion],
    );
    bind(ReconcileCheckouts).toResolvedValue(
      (sessions: CheckoutSessionRepository, completion: CheckoutCompletion, clock: Clock, planChanges: PlanChangeCompletion) =>
        new ReconcileCheckouts(sessions, completion, clock, planChanges),
      [CHECKOUT_SESSION_REPOSITORY, CheckoutCompletion, CLOCK, PlanChangeCompletion],
    );
    bind(EndGracePeriods).toResolvedValue(
      (accounts: AccountPlanRepository, planChanges: PlanChangeRepository, uow: UnitOfWork, ids: IdGenerator, clock: Clock) =>
        new EndGracePeriods({ accounts, planChanges, uow, ids, clock, graceMs }),
      [ACCOUNT_PLAN_REPOSITORY, PLAN_CHANGE_REPOSITORY, UNIT_OF_WORK, ID_GENERATOR, CLOCK],
    );
    bind(EndUnrenewedPeriods).toResolvedValue(
      (
        accounts: AccountPlanRepository,
        planChanges: PlanChangeRepository,
        invoices: InvoiceRepository,
        gateways: PaymentGateways,
        uow: UnitOfWork,
        ids: IdGenerator,
        clock: Clock,
      ) => new EndUnrenewedPeriods({ accounts, planChanges, invoices, gateways, uow, ids, clock, graceMs }),
      [ACCOUNT_PLAN_REPOSITORY, PLAN_CHANGE_REPOSITORY, INVOICE_REPOSITORY, PAYMENT_GATEWAYS, UNIT_OF_WORK, ID_GENERATOR, CLOCK],
    );
    // The reads of a checkout and of a subscription that the inbox's workers apply (webhooks.module.ts).
    bind(SyncCheckout).toResolvedValue(
      (sessions: CheckoutSessionRepository, completion: CheckoutCompletion, gateways: PaymentGateways) => new SyncCheckout(sessions, completion, gateways),
      [CHECKOUT_SESSION_REPOSITORY, CheckoutCompletion, PAYMENT_GATEWAYS],
    );
    bind(SyncSubscription).toResolvedValue(
      (
        sessions: CheckoutSessionRepository,
        checkouts: SyncCheckout,
        accounts: AccountPlanRepository,
        planChanges: PlanChangeRepository,
        invoices: InvoiceRepository,
        gateways: PaymentGateways,
        uow: UnitOfWork,
        ids: IdGenerator,
        clock: Clock,
      ) => new SyncSubscription({ sessions, checkouts, accounts, planChanges, invoices, gateways, uow, ids, clock, graceMs }),
      [
        CHECKOUT_SESSION_REPOSITORY,
        SyncCheckout,
        ACCOUNT_PLAN_REPOSITORY,
        PLAN_CHANGE_REPOSITORY,
        INVOICE_REPOSITORY,
        PAYMENT_GATEWAYS,
        UNIT_OF_WORK,
        ID_GENERATOR,
        CLOCK,
      ],
    );
  });
}

import { ListInvoices } from '../../application/billing/list-invoices.use-case.ts';
import type { FxSnapshot } from '../../domain/shared/fx-rate.value-object.ts';
import { INVOICE_KINDS, INVOICE_STATUSES, type Invoice } from '../../domain/billing/invoice.entity.ts';
import { FxRate } from '../../domain/shared/fx-rate.value-object.ts';
import type { Currency } from '../../domain/shared/money.value-object.ts';
import { BillingInterval, PlanTier } from './billing.schema.ts';
import { builder } from './builder.ts';
import { connection, pageArgs } from './connection.ts';

const InvoiceKind = builder.enumType('InvoiceKind', {
  description: '`plan`: the first payment of a plan checkout; `renewal`: a later payment of its subscription; `deposit`: a wallet deposit.',
  values: INVOICE_KINDS,
});
const InvoiceStatus = builder.enumType('InvoiceStatus', {
  description: "A deposit follows its refunds and disputes as the provider reports them; a plan payment stays `paid`.",
  values: INVOICE_STATUSES,
});

const InvoiceFxRef = builder.objectRef<FxSnapshot & { readonly currency: string }>('InvoiceFx').implement({
  description: 'The conversion from US dollars the charge was made at.',
  fields: (t) => ({
    rate: t.string({
      description: 'Units of the currency per USD, as a decimal string.',
      resolve: (fx) => FxRate.of({ ...fx, from: 'USD', to: fx.currency as Currency }).toDecimalString(),
    }),
    source: t.exposeString('source'),
    quotedAt: t.field({ type: 'DateTime', resolve: (fx) => fx.quotedAt }),
    baseAmountUsdCents: t.field({ type: 'Cents', description: 'The US-dollar amount converted.', resolve: (fx) => fx.baseAmountMinor }),
  }),
});

const InvoiceRef = builder.objectRef<Invoice>('Invoice').implement({
  description: 'One payment applied for the caller: a plan payment or a deposit, with the provider’s hosted invoice or receipt.',
  fields: (t) => ({
    id: t.exposeString('id'),
    kind: t.field({ type: InvoiceKind, resolve: (invoice) => invoice.kind }),
    status: t.field({ type: InvoiceStatus, resolve: (invoice) => invoice.status }),
    amountMinor: t.field({ type: 'Cents', description: 'What was charged, in minor units of `currency` (cents, paise).', resolve: (invoice) => invoice.amountMinor }),
    currency: t.exposeString('currency', { description: 'USD or INR, as the provider charged it.' }),
    fx: t.field({ type: InvoiceFxRef, nullable: true, description: 'Null when nothing was converted (USD).', resolve: (invoice) => (invoice.fx ? { ...invoice.fx, currency: invoice.currency } : null) }),
    tier: t.field({ type: PlanTier, nullable: true, description: 'The plan paid for; null for a deposit.', resolve: (invoice) => invoice.tier }),
    billingInterval: t.field({ type: BillingInterval, nullable: true, resolve: (invoice) => invoice.billingInterval }),
    periodStart: t.field({ type: 'DateTime', nullable: true, description: 'The plan period paid for, as the provider states it.', resolve: (invoice) => invoice.periodStart }),
    periodEnd: t.field({ type: 'DateTime', nullable: true, resolve: (invoice) => invoice.periodEnd }),
    receiptUrl: t.string({ nullable: true, description: "The provider's hosted invoice or receipt page.", resolve: (invoice) => invoice.receiptUrl }),
    createdAt: t.field({ type: 'DateTime', description: 'When the payment was applied here.', resolve: (invoice) => invoice.createdAt }),
  }),
});

const InvoiceConnectionRef = connection(InvoiceRef);

builder.queryFields((t) => ({
  invoices: t.field({
    type: InvoiceConnectionRef,
    description: "The caller's own invoices and receipts, newest first: every plan payment and deposit applied, on either gateway.",
    args: pageArgs,
    resolve: async (_root, args, ctx) =>
      ctx.use(ListInvoices).execute({ userId: (await ctx.requester()).userId, first: args.first ?? undefined, after: args.after ?? undefined }),
  }),
}));

import { parsePage } from '../../application/shared/pagination.ts';
import type { AccountEntry } from '../../application/wallet/wallet-ledger.port.ts';
import { ChargeToolCall, type ChargeToolCallResult } from '../../application/wallet/charge-tool-call.use-case.ts';
import { StartDeposit } from '../../application/wallet/start-deposit.use-case.ts';
import { AdjustWallet } from '../../application/wallet/adjust-wallet.use-case.ts';
import { WalletQueries, type DeveloperBalanceView, type WalletView } from '../../application/wallet/wallet-queries.service.ts';
import { TRANSFER_KINDS } from '../../domain/ledger/ledger-transfer.entity.ts';
import { builder } from './builder.ts';
import { caller } from './caller.ts';
import { connection, pageArgs } from './connection.ts';

const TransferKind = builder.enumType('TransferKind', { values: TRANSFER_KINDS });

const LedgerEntryRef = builder.objectRef<AccountEntry>('LedgerEntry').implement({
  description: 'One movement on an account: positive adds to it, negative takes from it.',
  fields: (t) => ({
    id: t.exposeString('transferId'),
    kind: t.field({ type: TransferKind, resolve: (entry) => entry.kind }),
    amountCents: t.field({ type: 'Cents', resolve: (entry) => entry.amount.amountMinor }),
    reference: t.exposeString('reference', { description: 'The checkout session, tool charge or payout behind it.' }),
    createdAt: t.field({ type: 'DateTime', resolve: (entry) => entry.createdAt }),
  }),
});

const LedgerEntryConnectionRef = connection(LedgerEntryRef);

export const WalletRef = builder.objectRef<WalletView>('Wallet').implement({
  description: "The caller's prepaid wallet, in US cents.",
  fields: (t) => ({
    balanceCents: t.field({ type: 'Cents', resolve: (wallet) => wallet.balance.amountMinor }),
    currency: t.string({ resolve: (wallet) => wallet.balance.currency }),
    flagged: t.exposeBoolean('flagged', { description: 'Set when a refunded or disputed deposit took the wallet below zero.' }),
    transactions: t.field({
      type: LedgerEntryConnectionRef,
      args: pageArgs,
      resolve: (wallet, args, ctx) =>
        ctx.use(WalletQueries).walletTransactions(wallet.userId, parsePage(args.first, args.after)),
    }),
  }),
});

export const DeveloperBalanceRef = builder.objectRef<DeveloperBalanceView>('DeveloperBalance').implement({
  description: "A creator's marketplace earnings, net of the platform fee.",
  fields: (t) => ({
    availableCents: t.field({ type: 'Cents', resolve: (balance) => balance.available.amountMinor }),
    pendingCents: t.field({ type: 'Cents', resolve: (balance) => balance.pending.amountMinor }),
    currency: t.string({ resolve: (balance) => balance.available.currency }),
    earnings: t.field({
      type: LedgerEntryConnectionRef,
      args: pageArgs,
      resolve: (balance, args, ctx) =>
        ctx.use(WalletQueries).earnings(balance.creatorId, parsePage(args.first, args.after)),
    }),
  }),
});

const ChargeRef = builder.objectRef<ChargeToolCallResult>('ToolCharge').implement({
  fields: (t) => ({
    chargeId: t.exposeString('chargeId'),
    walletBalanceCents: t.field({ type: 'Cents', resolve: (charge) => charge.walletBalance.amountMinor }),
    replayed: t.exposeBoolean('replayed', { description: 'True when this idempotency key had already charged: nothing was debited now.' }),
  }),
});

const ChargeToolCallInput = builder.inputType('ChargeToolCallInput', {
  fields: (t) => ({
    consumerId: t.string({ required: true }),
    creatorId: t.string({ required: true }),
    toolId: t.string({ required: true }),
    priceCents: t.int({ required: true }),
    idempotencyKey: t.string({ required: true }),
  }),
});

builder.queryFields((t) => ({
  wallet: t.field({
    type: WalletRef,
    resolve: async (_root, _args, ctx) => ctx.use(WalletQueries).wallet((await ctx.requester()).userId),
  }),
  developerBalance: t.field({
    type: DeveloperBalanceRef,
    resolve: async (_root, _args, ctx) => ctx.use(WalletQueries).developerBalance((await ctx.requester()).userId),
  }),
}));

builder.mutationFields((t) => ({
  startDeposit: t.field({
    type: builder.objectRef<{ url: string; sessionId: string }>('DepositCheckout').implement({
      fields: (f) => ({ url: f.exposeString('url'), sessionId: f.exposeString('sessionId') }),
    }),
    description: 'A one-time checkout that funds the wallet ($5.00 to $500.00); send the user to `url`.',
    args: {
      amountCents: t.arg.int({ required: true }),
      successUrl: t.arg.string({ required: true }),
      cancelUrl: t.arg.string({ required: true }),
    },
    resolve: async (_root, args, ctx) => ctx.use(StartDeposit).execute({ ...(await caller(ctx)), ...args }),
  }),
  chargeToolCall: t.field({
    type: ChargeRef,
    description: "For the `service` role: charges a paid tool call to the consumer's wallet, once per idempotency key.",
    args: { input: t.arg({ type: ChargeToolCallInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      ctx.metrics.countToolCharge(async () => ctx.use(ChargeToolCall).execute({ requester: await ctx.requester(), ...input })),
  }),
  adjustWallet: t.field({
    type: WalletRef,
    description: "For the `admin` role: corrects a user's wallet by a signed amount, recording who and why.",
    args: {
      userId: t.arg.string({ required: true }),
      amountCents: t.arg.int({ required: true }),
      reason: t.arg.string({ required: true }),
    },
    resolve: async (_root, args, ctx) => ctx.use(AdjustWallet).execute({ requester: await ctx.requester(), ...args }),
  }),
}));

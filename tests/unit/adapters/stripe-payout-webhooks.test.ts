import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { StripeWebhooks } from '../../../adapters/stripe/stripe.webhooks.ts';
import type { ProviderEffect } from '../../../application/webhooks/provider-event.ts';
import { InvalidInputError } from '../../../domain/shared/errors.ts';
import { STRIPE_WEBHOOK_SECRET, stripeEvent, stripeSignature } from '../../support/provider-events.ts';

const fixture = (name: string) =>
  JSON.parse(readFileSync(new URL(`../../fixtures/stripe/${name}.json`, import.meta.url), 'utf8')) as Record<string, unknown>;

/** A Connect endpoint has its own signing secret; it is configured beside the platform endpoint's. */
const CONNECT_WEBHOOK_SECRET = 'whsec_test_connect_endpoint_secret';
const ACCOUNT_ID = 'acct_1PgafTB7WZ01zgkW';

const webhooks = new StripeWebhooks({ secrets: [STRIPE_WEBHOOK_SECRET, CONNECT_WEBHOOK_SECRET], priceIds: undefined, clock: { now: () => new Date() } });

/** An event about a connected account, as a Connect endpoint receives it: `account` names it at the top. */
function connectEvent(type: string, object: Record<string, unknown>): string {
  return JSON.stringify({ ...(JSON.parse(stripeEvent(type, object)) as object), account: ACCOUNT_ID });
}

function effectOf(body: string, secret = STRIPE_WEBHOOK_SECRET): ProviderEffect {
  return webhooks.parse(body, stripeSignature(body, { secret })).effect;
}

/** Stripe's example account as an Express account in the given state. */
function anAccount(fields: {
  detailsSubmitted: boolean;
  payoutsEnabled: boolean;
  transfers: 'inactive' | 'pending' | 'active';
  requirements?: Record<string, unknown>;
}): Record<string, unknown> {
  const account = fixture('account');
  return {
    ...account,
    id: ACCOUNT_ID,
    type: 'express',
    details_submitted: fields.detailsSubmitted,
    payouts_enabled: fields.payoutsEnabled,
    capabilities: { transfers: fields.transfers },
    requirements: {
      ...(account['requirements'] as object),
      currently_due: [],
      eventually_due: [],
      past_due: [],
      disabled_reason: null,
      errors: [],
      ...fields.requirements,
    },
  };
}

function aTransfer(fields: { metadata?: Record<string, string>; amountReversed?: number; reversed?: boolean } = {}) {
  return {
    ...fixture('transfer'),
    id: 'tr_payout_1',
    amount: 2_500,
    amount_reversed: fields.amountReversed ?? 0,
    reversed: fields.reversed ?? false,
    destination: ACCOUNT_ID,
    metadata: fields.metadata ?? { payout_id: 'payout-1' },
  };
}

describe('Stripe payout webhooks', () => {
  describe('account.updated', () => {
    it('reports an account that can receive transfers and be paid out as verified', () => {
      const body = connectEvent('account.updated', anAccount({ detailsSubmitted: true, payoutsEnabled: true, transfers: 'active' }));

      expect(effectOf(body, CONNECT_WEBHOOK_SECRET)).toEqual({
        kind: 'payout_account_changed',
        account: { accountId: ACCOUNT_ID, status: 'verified', reason: null },
      });
    });

    it('reports an account Stripe disabled as restricted, with the disabled reason and its requirement errors', () => {
      const body = connectEvent(
        'account.updated',
        anAccount({
          detailsSubmitted: true,
          payoutsEnabled: false,
          transfers: 'inactive',
          requirements: {
            disabled_reason: 'rejected.other',
            errors: [{ code: 'verification_document_expired', reason: 'The document is expired.', requirement: 'individual.verification.document' }],
          },
        }),
      );

      expect(effectOf(body, CONNECT_WEBHOOK_SECRET)).toEqual({
        kind: 'payout_account_changed',
        account: { accountId: ACCOUNT_ID, status: 'restricted', reason: 'rejected.other: The document is expired.' },
      });
    });

    it('names the overdue fields of an account disabled for requirements the creator left past due', () => {
      const body = connectEvent(
        'account.updated',
        anAccount({ detailsSubmitted: true, payoutsEnabled: false, transfers: 'inactive', requirements: { disabled_reason: 'requirements.past_due', past_due: ['external_account'] } }),
      );

      expect(effectOf(body)).toMatchObject({ account: { status: 'restricted', reason: 'requirements.past_due: overdue external_account' } });
    });

    it('reports a new account whose creator has not finished onboarding as pending, though Stripe marks it past due', () => {
      // Stripe's own example account: nothing submitted yet, disabled for `requirements.past_due`.
      const body = connectEvent('account.updated', { ...fixture('account'), type: 'express' });

      expect(effectOf(body)).toEqual({ kind: 'payout_account_changed', account: { accountId: ACCOUNT_ID, status: 'pending', reason: null } });
    });

    it('reports an account Stripe is still verifying or reviewing as pending', () => {
      for (const disabledReason of ['requirements.pending_verification', 'under_review']) {
        const body = connectEvent(
          'account.updated',
          anAccount({ detailsSubmitted: true, payoutsEnabled: false, transfers: 'pending', requirements: { disabled_reason: disabledReason } }),
        );

        expect(effectOf(body)).toMatchObject({ account: { status: 'pending', reason: null } });
      }
    });

    it('reports an account whose transfers capability went inactive after onboarding as restricted', () => {
      const body = connectEvent('account.updated', anAccount({ detailsSubmitted: true, payoutsEnabled: true, transfers: 'inactive' }));

      expect(effectOf(body)).toMatchObject({ account: { status: 'restricted', reason: 'transfers capability inactive' } });
    });
  });

  describe('transfers', () => {
    it('confirms a created transfer as paid, naming our payout from its metadata', () => {
      expect(effectOf(stripeEvent('transfer.created', aTransfer()))).toEqual({
        kind: 'payout_transfer_changed',
        transferId: 'tr_payout_1',
        payoutId: 'payout-1',
        outcome: 'paid',
        reason: null,
      });
    });

    it('fails a reversed transfer, saying how much Stripe reversed', () => {
      const effect = effectOf(stripeEvent('transfer.reversed', aTransfer({ amountReversed: 2_500, reversed: true })));

      expect(effect).toEqual({
        kind: 'payout_transfer_changed',
        transferId: 'tr_payout_1',
        payoutId: 'payout-1',
        outcome: 'failed',
        reason: 'Stripe reversed the transfer: 2500 of 2500 USD minor units reversed',
      });
    });

    it('leaves the payout to be found by the transfer id when the transfer carries no payout id', () => {
      expect(effectOf(stripeEvent('transfer.reversed', aTransfer({ metadata: {}, amountReversed: 2_500, reversed: true })))).toMatchObject({
        transferId: 'tr_payout_1',
        payoutId: null,
        outcome: 'failed',
      });
    });

    it('leaves a partial reversal to a person rather than returning the whole payout', () => {
      const effect = effectOf(stripeEvent('transfer.reversed', aTransfer({ amountReversed: 1_000, reversed: false })));

      expect(effect).toMatchObject({ kind: 'none', reason: expect.stringContaining('partial reversal') });
    });
  });

  it('ignores a failed bank payout of a connected account, since our transfer to it stays paid', () => {
    const payout = { ...fixture('payout'), status: 'failed', failure_code: 'account_closed', failure_message: 'The bank account has been closed.' };

    const effect = effectOf(connectEvent('payout.failed', payout), CONNECT_WEBHOOK_SECRET);

    expect(effect.kind).toBe('none');
    expect((effect as { reason: string }).reason).toContain('The bank account has been closed.');
  });

  it('refuses an account event signed with a secret that is not configured', () => {
    const body = connectEvent('account.updated', anAccount({ detailsSubmitted: true, payoutsEnabled: true, transfers: 'active' }));

    expect(() => webhooks.parse(body, stripeSignature(body, { secret: 'whsec_someone_else' }))).toThrow(InvalidInputError);
  });
});

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { stripeAccountState } from '../../../adapters/stripe/stripe.payout-gateway.ts';
import { stripeAccountWire } from '../../../adapters/stripe/stripe.wire.ts';
import { StripeWebhooks } from '../../../adapters/stripe/stripe.webhooks.ts';
import type { ReceivedEvent } from '../../../application/webhooks/provider-event.ts';
import { InvalidInputError } from '../../../domain/shared/errors.ts';
import { STRIPE_WEBHOOK_SECRET, stripeEvent, stripeSignature } from '../../support/provider-events.ts';

const fixture = (name: string) =>
  JSON.parse(readFileSync(new URL(`../../fixtures/stripe/${name}.json`, import.meta.url), 'utf8')) as Record<string, unknown>;

/** A Connect endpoint has its own signing secret; it is configured beside the platform endpoint's. */
const CONNECT_WEBHOOK_SECRET = 'whsec_test_connect_endpoint_secret';
const ACCOUNT_ID = 'acct_1PgafTB7WZ01zgkW';

const webhooks = new StripeWebhooks({ secrets: [STRIPE_WEBHOOK_SECRET, CONNECT_WEBHOOK_SECRET], clock: { now: () => new Date() } });

/** An event about a connected account, as a Connect endpoint receives it: `account` names it at the top. */
function connectEvent(type: string, object: Record<string, unknown>): string {
  return JSON.stringify({ ...(JSON.parse(stripeEvent(type, object)) as object), account: ACCOUNT_ID });
}

function received(body: string, secret = STRIPE_WEBHOOK_SECRET): ReceivedEvent {
  return webhooks.receive(body, stripeSignature(body, { secret }));
}

/** How the gateway reads an account, from Stripe's answer or the object an event carries alike. */
function stateOf(account: Record<string, unknown>) {
  return stripeAccountState(stripeAccountWire.parse(account));
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

describe('Stripe payout events and account state', () => {
  it('reads account.updated from a Connect endpoint as about the connected account it names, nothing more', () => {
    const body = connectEvent('account.updated', anAccount({ detailsSubmitted: true, payoutsEnabled: true, transfers: 'active' }));

    expect(received(body, CONNECT_WEBHOOK_SECRET).subject).toEqual({ kind: 'account', id: ACCOUNT_ID, hint: null });
  });

  describe('an account as Stripe holds it', () => {
    it('reports an account that can receive transfers and be paid out as verified', () => {
      const account = anAccount({ detailsSubmitted: true, payoutsEnabled: true, transfers: 'active' });

      expect(stateOf(account)).toEqual({ accountId: ACCOUNT_ID, status: 'verified', reason: null });
    });

    it('reports an account Stripe disabled as restricted, with the disabled reason and its requirement errors', () => {
      const account = anAccount({
          detailsSubmitted: true,
          payoutsEnabled: false,
          transfers: 'inactive',
          requirements: {
            disabled_reason: 'rejected.other',
            errors: [{ code: 'verification_document_expired', reason: 'The document is expired.', requirement: 'individual.verification.document' }],
          },
        });

      expect(stateOf(account)).toEqual({ accountId: ACCOUNT_ID, status: 'restricted', reason: 'rejected.other: The document is expired.' });
    });

    it('names the overdue fields of an account disabled for requirements the creator left past due', () => {
      const account = anAccount({ detailsSubmitted: true, payoutsEnabled: false, transfers: 'inactive', requirements: { disabled_reason: 'requirements.past_due', past_due: ['external_account'] } });

      expect(stateOf(account)).toMatchObject({ status: 'restricted', reason: 'requirements.past_due: overdue external_account' });
    });

    it('reports a new account whose creator has not finished onboarding as pending, though Stripe marks it past due', () => {
      // Stripe's own example account: nothing submitted yet, disabled for `requirements.past_due`.
      const account = { ...fixture('account'), id: ACCOUNT_ID, type: 'express' };

      expect(stateOf(account)).toEqual({ accountId: ACCOUNT_ID, status: 'pending', reason: null });
    });

    it('reports an account Stripe is still verifying or reviewing as pending', () => {
      for (const disabledReason of ['requirements.pending_verification', 'under_review']) {
        const account = anAccount({ detailsSubmitted: true, payoutsEnabled: false, transfers: 'pending', requirements: { disabled_reason: disabledReason } });

        expect(stateOf(account)).toMatchObject({ status: 'pending', reason: null });
      }
    });

    it('reports an account whose transfers capability went inactive after onboarding as restricted', () => {
      const account = anAccount({ detailsSubmitted: true, payoutsEnabled: true, transfers: 'inactive' });

      expect(stateOf(account)).toMatchObject({ status: 'restricted', reason: 'transfers capability inactive' });
    });
  });

  describe('transfers', () => {
    it('reads a transfer event as about the transfer, with our payout id from its metadata as a hint', () => {
      for (const type of ['transfer.created', 'transfer.updated', 'transfer.reversed']) {
        expect(received(stripeEvent(type, aTransfer())).subject).toEqual({ kind: 'transfer', id: 'tr_payout_1', hint: 'payout-1' });
      }
    });

    it('leaves the payout to be found by the transfer id when the transfer carries no payout id', () => {
      expect(received(stripeEvent('transfer.reversed', aTransfer({ metadata: {}, amountReversed: 2_500, reversed: true }))).subject).toEqual({
        kind: 'transfer',
        id: 'tr_payout_1',
        hint: null,
      });
    });
  });

  it('ignores a failed bank payout of a connected account, since our transfer to it stays paid', () => {
    const payout = { ...fixture('payout'), status: 'failed', failure_code: 'account_closed', failure_message: 'The bank account has been closed.' };

    const event = received(connectEvent('payout.failed', payout), CONNECT_WEBHOOK_SECRET);

    expect(event).toMatchObject({ subject: null, ignoredReason: 'payout.failed is not an event this service acts on' });
  });

  it('refuses an account event signed with a secret that is not configured', () => {
    const body = connectEvent('account.updated', anAccount({ detailsSubmitted: true, payoutsEnabled: true, transfers: 'active' }));

    expect(() => webhooks.receive(body, stripeSignature(body, { secret: 'whsec_someone_else' }))).toThrow(InvalidInputError);
  });
});

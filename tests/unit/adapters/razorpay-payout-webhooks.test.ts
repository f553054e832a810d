import { describe, expect, it } from 'vitest';
import { RazorpayWebhooks } from '../../../adapters/razorpay/razorpay.webhooks.ts';
import type { ProviderEffect } from '../../../application/webhooks/provider-event.ts';
import { RAZORPAY_WEBHOOK_SECRET, razorpayEvent, razorpaySignature } from '../../support/provider-events.ts';

const webhooks = new RazorpayWebhooks({ secrets: [RAZORPAY_WEBHOOK_SECRET] });

/** Delivers `body` as Razorpay signs it and returns what it means for us. */
function effectOf(body: string): ProviderEffect {
  return webhooks.parse(body, razorpaySignature(body), `evt_${Math.random().toString(36).slice(2)}`).effect;
}

/** A transfer entity as Razorpay's transfer webhooks carry it (a direct transfer from our balance). */
function transfer(fields: Record<string, unknown>): Record<string, unknown> {
  return {
    id: 'trf_EB1gHgrzOZff6d',
    entity: 'transfer',
    status: 'processed',
    source: 'acc_CJoeHMNpi0nC7k',
    recipient: 'acc_CNo3jSI8OkFJJJ',
    amount: 250_000,
    currency: 'INR',
    amount_reversed: 0,
    notes: { payout_id: 'payout-1' },
    fees: 0,
    tax: 0,
    on_hold: false,
    on_hold_until: null,
    recipient_settlement_id: null,
    created_at: 1_580_461_276,
    linked_account_notes: [],
    processed_at: 1_580_461_276,
    ...fields,
  };
}

/**
 * A `product.route.*` event as Razorpay documents it: the product beside a `data` object that
 * carries its requirements, with the linked account as the event's `account_id`.
 */
function routeProductEvent(event: string, activationStatus: string | undefined, requirements?: unknown[]): string {
  const envelope = JSON.parse(
    razorpayEvent(event, {
      merchant_product: { id: 'acc_prd_QTzgAPhwEwsO9Z', merchant_id: 'acc_QTzf1oMb6lfvIL', ...(activationStatus ? { activation_status: activationStatus } : {}) },
    }),
  ) as { account_id: string; payload: { merchant_product: { data?: unknown } } };
  envelope.account_id = 'acc_QTzf1oMb6lfvIL';
  envelope.payload.merchant_product.data = requirements ? { requirements } : [];
  return JSON.stringify(envelope);
}

describe('Razorpay payout webhooks', () => {
  describe('transfers', () => {
    it('reads transfer.processed as the payout paid, with our payout id from the notes', () => {
      expect(effectOf(razorpayEvent('transfer.processed', { transfer: transfer({}) }))).toEqual({
        kind: 'payout_transfer_changed',
        transferId: 'trf_EB1gHgrzOZff6d',
        payoutId: 'payout-1',
        outcome: 'paid',
        reason: null,
      });
    });

    it('reads transfer.failed as the payout failed, with Razorpay’s error description as the reason', () => {
      const failed = transfer({
        status: 'failed',
        processed_at: null,
        error: {
          code: 'BAD_REQUEST_TRANSFER_INSUFFICIENT_BALANCE',
          description: 'Transfer failed due to insufficient balance',
          field: null,
          source: 'transfer',
          step: 'balance_check',
          reason: 'insufficient_balance',
        },
      });

      expect(effectOf(razorpayEvent('transfer.failed', { transfer: failed }))).toEqual({
        kind: 'payout_transfer_changed',
        transferId: 'trf_EB1gHgrzOZff6d',
        payoutId: 'payout-1',
        outcome: 'failed',
        reason: 'Transfer failed due to insufficient balance',
      });
    });

    it('still gives a reason for a failed transfer whose error says nothing', () => {
      const effect = effectOf(razorpayEvent('transfer.failed', { transfer: transfer({ status: 'failed', error: { code: null, description: null } }) }));

      expect(effect).toMatchObject({ kind: 'payout_transfer_changed', outcome: 'failed', reason: 'Razorpay failed the transfer' });
    });

    it('reports no payout id for a transfer that is not ours (notes empty, sent by Razorpay as [])', () => {
      expect(effectOf(razorpayEvent('transfer.processed', { transfer: transfer({ notes: [] }) }))).toMatchObject({
        kind: 'payout_transfer_changed',
        payoutId: null,
      });
    });

    it('ignores a transfer event without a transfer', () => {
      expect(effectOf(razorpayEvent('transfer.processed', {})).kind).toBe('none');
    });
  });

  describe('Route accounts', () => {
    const accountId = 'acc_QTzf1oMb6lfvIL:acc_prd_QTzgAPhwEwsO9Z';

    it('reads product.route.activated as the account verified, under the id the gateway gave it', () => {
      expect(effectOf(routeProductEvent('product.route.activated', 'activated'))).toEqual({
        kind: 'payout_account_changed',
        account: { accountId, status: 'verified', reason: null },
      });
    });

    it('reads product.route.under_review as pending', () => {
      expect(effectOf(routeProductEvent('product.route.under_review', 'under_review'))).toEqual({
        kind: 'payout_account_changed',
        account: { accountId, status: 'pending', reason: null },
      });
    });

    it('reads product.route.needs_clarification as restricted, with the requirements Razorpay lists as the reason', () => {
      const requirements = ['settlements.ifsc_code', 'settlements.beneficiary_name', 'settlements.account_number'].map((field) => ({
        field_reference: field,
        resolution_url: '/accounts/acc_QTzf1oMb6lfvIL/products/acc_prd_QTzgAPhwEwsO9Z',
        reason_code: 'needs_clarification',
        description: 'Max retry exceeded for bank account details.',
        status: 'required',
      }));

      expect(effectOf(routeProductEvent('product.route.needs_clarification', 'needs_clarification', requirements))).toEqual({
        kind: 'payout_account_changed',
        account: {
          accountId,
          status: 'restricted',
          reason: 'Max retry exceeded for bank account details. (settlements.ifsc_code, settlements.beneficiary_name, settlements.account_number)',
        },
      });
    });

    it('goes by the event name when the product does not carry its status, and by the event’s account when it has no merchant id', () => {
      const body = JSON.parse(routeProductEvent('product.route.needs_clarification', undefined)) as {
        payload: { merchant_product: { entity: Record<string, unknown> } };
      };
      delete body.payload.merchant_product.entity['merchant_id'];

      expect(effectOf(JSON.stringify(body))).toEqual({
        kind: 'payout_account_changed',
        account: { accountId, status: 'restricted', reason: 'Razorpay needs clarification on the account' },
      });
    });

    it('ignores a product event without a product', () => {
      expect(effectOf(razorpayEvent('product.route.activated', {})).kind).toBe('none');
    });
  });

  it('still ignores events it has no use for', () => {
    expect(effectOf(razorpayEvent('settlement.processed', { settlement: { id: 'setl_1', amount: 1524, status: 'processed' } })).kind).toBe('none');
  });
});

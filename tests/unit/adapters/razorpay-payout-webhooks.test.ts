import { describe, expect, it } from 'vitest';
import { routeProductState } from '../../../adapters/razorpay/razorpay.payout-gateway.ts';
import { RazorpayWebhooks } from '../../../adapters/razorpay/razorpay.webhooks.ts';
import type { ReceivedEvent } from '../../../application/webhooks/provider-event.ts';
import { InvalidInputError } from '../../../domain/shared/errors.ts';
import { RAZORPAY_WEBHOOK_SECRET, razorpayEvent, razorpaySignature } from '../../support/provider-events.ts';

const webhooks = new RazorpayWebhooks({ secrets: [RAZORPAY_WEBHOOK_SECRET] });

/** Delivers `body` as Razorpay signs it and returns what the inbox would record. */
function received(body: string): ReceivedEvent {
  return webhooks.receive(body, razorpaySignature(body), `evt_${Math.random().toString(36).slice(2)}`);
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

describe('Razorpay payout events and Route account state', () => {
  describe('transfers', () => {
    it('reads a transfer event as about the transfer, with our payout id from its notes as a hint', () => {
      for (const event of ['transfer.processed', 'transfer.failed', 'transfer.reversed']) {
        expect(received(razorpayEvent(event, { transfer: transfer({}) })).subject).toEqual({ kind: 'transfer', id: 'trf_EB1gHgrzOZff6d', hint: 'payout-1' });
      }
    });

    it('gives no hint for a transfer whose notes are empty (sent by Razorpay as [])', () => {
      expect(received(razorpayEvent('transfer.processed', { transfer: transfer({ notes: [] }) })).subject).toMatchObject({ hint: null });
    });

    it('refuses a transfer event without a transfer as a body it cannot read', () => {
      expect(() => received(razorpayEvent('transfer.processed', {}))).toThrow(InvalidInputError);
    });
  });

  describe('Route accounts', () => {
    const accountId = 'acc_QTzf1oMb6lfvIL:acc_prd_QTzgAPhwEwsO9Z';

    it('reads a product.route.* event as about the account, under the id the gateway gave it', () => {
      for (const event of ['product.route.activated', 'product.route.under_review', 'product.route.needs_clarification']) {
        expect(received(routeProductEvent(event, event.slice('product.route.'.length))).subject).toEqual({ kind: 'account', id: accountId, hint: null });
      }
    });

    it('goes by the event’s account when the product carries no merchant id', () => {
      const body = JSON.parse(routeProductEvent('product.route.needs_clarification', undefined)) as { payload: { merchant_product: { entity: Record<string, unknown> } } };
      delete body.payload.merchant_product.entity['merchant_id'];

      expect(received(JSON.stringify(body)).subject).toEqual({ kind: 'account', id: accountId, hint: null });
    });

    it('reads an activated product as verified, under review as pending', () => {
      expect(routeProductState(accountId, { activation_status: 'activated' })).toEqual({ accountId, status: 'verified', reason: null });
      expect(routeProductState(accountId, { activation_status: 'under_review' })).toEqual({ accountId, status: 'pending', reason: null });
    });

    it('reads a product that needs clarification as restricted, with the requirements Razorpay lists as the reason', () => {
      const requirements = ['settlements.ifsc_code', 'settlements.beneficiary_name', 'settlements.account_number'].map((field) => ({
        field_reference: field,
        resolution_url: '/accounts/acc_QTzf1oMb6lfvIL/products/acc_prd_QTzgAPhwEwsO9Z',
        reason_code: 'needs_clarification',
        description: 'Max retry exceeded for bank account details.',
        status: 'required',
      }));

      expect(routeProductState(accountId, { activation_status: 'needs_clarification', requirements })).toEqual({
        accountId,
        status: 'restricted',
        reason: 'Max retry exceeded for bank account details. (settlements.ifsc_code, settlements.beneficiary_name, settlements.account_number)',
      });
    });

    it('still gives a reason for a restricted product whose requirements say nothing', () => {
      expect(routeProductState(accountId, { activation_status: 'needs_clarification', requirements: [] })).toEqual({
        accountId,
        status: 'restricted',
        reason: 'Razorpay needs clarification on the account',
      });
    });
  });

  it('records events it has no use for as ignored, with the reason', () => {
    expect(received(razorpayEvent('settlement.processed', { settlement: { id: 'setl_1', amount: 1524, status: 'processed' } }))).toMatchObject({
      subject: null,
      ignoredReason: 'settlement.processed needs no action here',
    });
  });
});

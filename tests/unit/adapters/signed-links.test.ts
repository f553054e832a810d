import { describe, expect, it } from 'vitest';
import { JoseSignedLinks } from '../../../adapters/shared/jose.signed-links.ts';
import { MANDATE_APPROVAL_LIMIT, renewalMode } from '../../../domain/billing/renewal.policy.ts';
import { UnauthenticatedError } from '../../../domain/shared/errors.ts';
import { Money } from '../../../domain/shared/money.value-object.ts';
import { FixedClock } from '../../support/builders.ts';

const NOW = new Date('2026-12-02T10:00:00Z');
const HOUR_MS = 60 * 60 * 1000;

describe('signed links', () => {
  const clock = new FixedClock(NOW);
  const links = new JoseSignedLinks('a-secret-the-deployment-keeps', clock);
  const aLink = () => links.sign({ purpose: 'plan-renewal', userId: 'user-1', ttlMs: HOUR_MS });

  it('opens for the user and purpose it was signed for, until it expires', async () => {
    expect(await links.verify(await aLink(), 'plan-renewal')).toEqual({ userId: 'user-1', expiresAt: new Date(NOW.getTime() + HOUR_MS) });
  });

  it('refuses a link for another purpose, an expired one, an altered one and one signed with another secret', async () => {
    const link = await aLink();
    const later = new JoseSignedLinks('a-secret-the-deployment-keeps', new FixedClock(new Date(NOW.getTime() + 2 * HOUR_MS)));
    const [header, payload, signature] = link.split('.');
    const otherUser = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), sub: 'user-2' })).toString('base64url');
    const foreign = await new JoseSignedLinks('another-secret', clock).sign({ purpose: 'plan-renewal', userId: 'user-1', ttlMs: HOUR_MS });

    const attempts = [
      () => links.verify(link, 'billing-portal'),
      () => later.verify(link, 'plan-renewal'),
      () => links.verify(`${header}.${otherUser}.${signature}`, 'plan-renewal'),
      () => links.verify(foreign, 'plan-renewal'),
      () => links.verify('', 'plan-renewal'),
    ];
    for (const attempt of attempts) await expect(attempt()).rejects.toBeInstanceOf(UnauthenticatedError);
  });
});

describe('how a plan renews', () => {
  it('needs approval for a Razorpay debit above ₹15,000, and renews by itself at or below it and on Stripe', () => {
    expect(renewalMode('razorpay', Money.of(MANDATE_APPROVAL_LIMIT.amountMinor + 1, 'INR'))).toBe('needs_approval');
    expect(renewalMode('razorpay', MANDATE_APPROVAL_LIMIT)).toBe('automatic');
    expect(renewalMode('stripe', Money.of(10_000_000, 'USD'))).toBe('automatic');
  });
});

import { describe, expect, it } from 'vitest';
import { SandboxPaymentGateway } from '../../adapters/sandbox/sandbox.payment-gateway.ts';
import { SandboxProvider } from '../../adapters/sandbox/sandbox.provider.ts';
import { SystemClock } from '../../adapters/system/system.clock.ts';
import { UuidV7IdGenerator } from '../../adapters/system/uuid-v7.id-generator.ts';
import { ProviderError } from '../../domain/shared/errors.ts';
import { aPlanCheckoutRequest, runPaymentGatewayContract } from './payment-gateway.contract.ts';

function aSandbox(): SandboxProvider {
  return new SandboxProvider({ publicUrl: 'http://localhost:4000', ids: new UuidV7IdGenerator(), clock: new SystemClock() });
}

/**
 * The sandbox has no clock-driven expiry of its own; a checkout it holds is expired the way the
 * provider's own store would mark it.
 */
function expireIn(sandbox: SandboxProvider, id: string): void {
  const checkout = sandbox.find(id);
  if (!checkout) throw new Error(`no sandbox checkout ${id}`);
  checkout.status = 'expired';
}

for (const region of ['stripe', 'razorpay'] as const) {
  runPaymentGatewayContract(`sandbox standing in for ${region}`, async () => {
    const sandbox = aSandbox();
    return {
      gateway: new SandboxPaymentGateway(sandbox, { region }),
      pay: (id) => void sandbox.pay(id),
      expire: (id) => expireIn(sandbox, id),
      currency: region === 'stripe' ? 'USD' : 'INR',
    };
  });
}

describe('Sandbox payment gateway', () => {
  it('hosts a customer portal in the Stripe region and not in the Razorpay one', () => {
    const sandbox = aSandbox();

    expect(new SandboxPaymentGateway(sandbox, { region: 'stripe' }).hostsCustomerPortal).toBe(true);
    expect(new SandboxPaymentGateway(sandbox, { region: 'razorpay' }).hostsCustomerPortal).toBe(false);
  });

  it('sends the user back to the success URL with the sandbox session id added and the original query kept', async () => {
    const sandbox = aSandbox();
    const gateway = new SandboxPaymentGateway(sandbox, { region: 'stripe' });

    const { providerSessionId } = await gateway.createPlanCheckout(aPlanCheckoutRequest('USD'));
    const redirect = new URL(sandbox.pay(providerSessionId)!);

    expect(redirect.origin + redirect.pathname).toBe('https://app.aerostack.dev/settings/billing');
    expect(redirect.searchParams.get('success')).toBe('true');
    expect(redirect.searchParams.get('session_id')).toBe(providerSessionId);
  });

  it('reports a checkout the user canceled as canceled, and refuses to cancel one already paid', async () => {
    const sandbox = aSandbox();
    const gateway = new SandboxPaymentGateway(sandbox, { region: 'razorpay' });
    const canceled = await gateway.createPlanCheckout(aPlanCheckoutRequest('INR'));
    const paid = await gateway.createPlanCheckout(aPlanCheckoutRequest('INR'));

    expect(sandbox.cancel(canceled.providerSessionId)).toBe('https://app.aerostack.dev/settings/billing?canceled=true');
    sandbox.pay(paid.providerSessionId);

    expect((await gateway.retrieveCheckout(canceled.providerSessionId)).status).toBe('canceled');
    expect(sandbox.cancel(paid.providerSessionId)).toBeNull();
    expect((await gateway.retrieveCheckout(paid.providerSessionId)).status).toBe('paid');
  });

  it('reuses the customer id it was given and names the subscription after our session', async () => {
    const gateway = new SandboxPaymentGateway(aSandbox(), { region: 'stripe' });
    const request = aPlanCheckoutRequest('USD', { customerId: 'sbx_cus_existing' });

    const { providerSessionId } = await gateway.createPlanCheckout(request);

    expect(await gateway.retrieveCheckout(providerSessionId)).toMatchObject({
      customerId: 'sbx_cus_existing',
      subscriptionId: `sbx_sub_${request.sessionId}`,
    });
  });

  it('forgets its checkouts with the process: a fresh sandbox answers an earlier id with a ProviderError', async () => {
    const { providerSessionId } = await new SandboxPaymentGateway(aSandbox(), { region: 'stripe' }).createPlanCheckout(aPlanCheckoutRequest('USD'));

    await expect(new SandboxPaymentGateway(aSandbox(), { region: 'stripe' }).retrieveCheckout(providerSessionId)).rejects.toBeInstanceOf(
      ProviderError,
    );
  });
});

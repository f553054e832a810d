import { describe, expect, it } from 'vitest';
import { ConfigError, DEVELOPMENT_SANDBOX_WEBHOOK_SECRET, loadConfig } from '../../../api/config.ts';
import { STRIPE_PRICE_ENV } from '../../support/test-app.ts';


describe('configuration', () => {
  it('needs nothing: sandbox for both regions, development secret, the spec allow-list, a default rate', () => {
    const config = loadConfig({});

    expect(config.stripe).toBeUndefined();
    expect(config.razorpay).toBeUndefined();
    expect(config.jwt).toMatchObject({ kind: 'secret', development: true });
    expect(config.redirectAllowedOrigins).toEqual([
      'https://app.aerostack.dev',
      'https://aerostack-admin.pages.dev',
      'https://*.aerostack-admin.pages.dev',
      'http://localhost:5173',
    ]);
    expect(config.inrPerUsdMicros).toBe(85_000_000);
  });

  it("signs the sandbox's events with the development secret, which only the routes of regions the sandbox serves take", () => {
    const zero = loadConfig({});
    const stripeKeyed = loadConfig({ STRIPE_SECRET_KEY: 'sk_test_abc', ...STRIPE_PRICE_ENV, STRIPE_WEBHOOK_SECRET: 'whsec_stripe' });

    expect(zero.sandboxWebhookSecret).toBe(DEVELOPMENT_SANDBOX_WEBHOOK_SECRET);
    expect([zero.stripeWebhookSecrets, zero.razorpayWebhookSecrets]).toEqual([[DEVELOPMENT_SANDBOX_WEBHOOK_SECRET], [DEVELOPMENT_SANDBOX_WEBHOOK_SECRET]]);
    expect([stripeKeyed.stripeWebhookSecrets, stripeKeyed.razorpayWebhookSecrets]).toEqual([['whsec_stripe'], [DEVELOPMENT_SANDBOX_WEBHOOK_SECRET]]);
  });

  it('has no sandbox webhook secret in production unless one is set, and refuses one that is not a whsec_ secret of 32 characters', () => {
    const production = loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'a-production-secret-of-at-least-32-chars', SANDBOX_IN_PRODUCTION: '1' });
    const chosen = loadConfig({ SANDBOX_WEBHOOK_SECRET: 'whsec_chosen_for_this_deployment_000' });

    expect(production.sandboxWebhookSecret).toBeUndefined();
    expect(production.stripeWebhookSecrets).toEqual([]);
    expect(chosen.stripeWebhookSecrets).toEqual(['whsec_chosen_for_this_deployment_000']);
    expect(() => loadConfig({ SANDBOX_WEBHOOK_SECRET: 'short' })).toThrow(/SANDBOX_WEBHOOK_SECRET/);
  });

  it('reads Stripe test keys with a Price id for every tier and interval', () => {
    const config = loadConfig({ STRIPE_SECRET_KEY: 'sk_test_abc', ...STRIPE_PRICE_ENV });

    expect(config.stripe?.priceIds.pro.yearly).toBe('price_py');
    expect(config.stripe?.live).toBe(false);
    expect([config.stripe?.allowPromotionCodes, config.stripe?.automaticTax]).toEqual([false, false]);
  });

  it('turns on promotion codes and Stripe Tax for plan checkouts only when asked, refusing a value that is not a flag', () => {
    const config = loadConfig({ STRIPE_SECRET_KEY: 'sk_test_abc', ...STRIPE_PRICE_ENV, STRIPE_ALLOW_PROMOTION_CODES: 'true', STRIPE_AUTOMATIC_TAX: '1' });

    expect([config.stripe?.allowPromotionCodes, config.stripe?.automaticTax]).toEqual([true, true]);
    expect(() => loadConfig({ STRIPE_AUTOMATIC_TAX: 'yes' })).toThrow(/STRIPE_AUTOMATIC_TAX/);
  });

  it("loads Razorpay Standard Checkout from Razorpay's own address unless told, and only over https in production", () => {
    const keys = { RAZORPAY_KEY_ID: 'rzp_test_abc', RAZORPAY_KEY_SECRET: 'secret' };
    const production = { NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(40), SANDBOX_IN_PRODUCTION: '1', RAZORPAY_KEY_ID: 'rzp_live_abc', RAZORPAY_KEY_SECRET: 'secret' };

    expect(loadConfig(keys).razorpay?.checkoutScriptUrl).toBe('https://checkout.razorpay.com/v1/checkout.js');
    expect(loadConfig({ ...keys, RAZORPAY_CHECKOUT_SCRIPT_URL: 'http://127.0.0.1:9000/v1/checkout.js' }).razorpay?.checkoutScriptUrl).toBe('http://127.0.0.1:9000/v1/checkout.js');
    expect(() => loadConfig({ ...production, RAZORPAY_CHECKOUT_SCRIPT_URL: 'http://cdn.example/checkout.js' })).toThrow(/RAZORPAY_CHECKOUT_SCRIPT_URL must be https/);
    expect(() => loadConfig({ ...keys, RAZORPAY_CHECKOUT_SCRIPT_URL: 'checkout.js' })).toThrow(/RAZORPAY_CHECKOUT_SCRIPT_URL/);
  });

  it.each([
    [{ STRIPE_SECRET_KEY: 'sk_live_abc', ...STRIPE_PRICE_ENV }, /STRIPE_SECRET_KEY is a live key/],
    [{ RAZORPAY_KEY_ID: 'rzp_live_abc', RAZORPAY_KEY_SECRET: 's' }, /RAZORPAY_KEY_ID is a live key/],
    [{ STRIPE_SECRET_KEY: 'sk_test_abc' }, /STRIPE_PRICE_STARTER_MONTHLY/],
    [{ STRIPE_SECRET_KEY: 'pk_test_abc' }, /STRIPE_SECRET_KEY/],
    [{ STRIPE_WEBHOOK_SECRET: 'nope' }, /STRIPE_WEBHOOK_SECRET/],
    [{ RAZORPAY_KEY_ID: 'rzp_test_abc' }, /RAZORPAY_KEY_ID and RAZORPAY_KEY_SECRET together/],
    [{ REDIRECT_ALLOWED_ORIGINS: 'app.example.com' }, /REDIRECT_ALLOWED_ORIGINS/],
    [{ REDIRECT_ALLOWED_ORIGINS: 'https://app.example.com/path' }, /REDIRECT_ALLOWED_ORIGINS/],
    [{ CORS_ALLOWED_ORIGINS: 'https://*.com' }, /CORS_ALLOWED_ORIGINS: "https:\/\/\*\.com" must put its \* under a domain of two labels or more/],
    [{ REDIRECT_ALLOWED_ORIGINS: 'https://*.10.0.0.1' }, /REDIRECT_ALLOWED_ORIGINS/],
    [{ REDIRECT_ALLOWED_ORIGINS: ' , ' }, /REDIRECT_ALLOWED_ORIGINS names no origin/],
    [{ CORS_ALLOWED_ORIGINS: ',' }, /CORS_ALLOWED_ORIGINS names no origin/],
    [{ DATABASE_URL: 'postgresql://postgres@127.0.0.1:99999/billing' }, /DATABASE_URL must be a postgres/],
    [{ INR_PER_USD: 'eighty' }, /INR_PER_USD/],
    [{ INR_PER_USD: '0' }, /INR_PER_USD/],
    [{ PUBLIC_URL: 'localhost:4000' }, /PUBLIC_URL/],
    [{ JWT_SECRET: 'x'.repeat(40), JWT_JWKS_URL: 'https://id.example/jwks' }, /not both/],
    [{ NODE_ENV: 'staging' }, /NODE_ENV must be one of development, test, production/],
    [{ NODE_ENV: 'prod', JWT_SECRET: 'x'.repeat(40) }, /NODE_ENV must be one of development, test, production/],
  ])('refuses %j with a message naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('accepts live keys in production', () => {
    const config = loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(40), SANDBOX_IN_PRODUCTION: '1', STRIPE_SECRET_KEY: 'sk_live_abc', ...STRIPE_PRICE_ENV });

    expect(config.stripe?.live).toBe(true);
  });

  it('reads a custom allow-list and rate', () => {
    const config = loadConfig({ REDIRECT_ALLOWED_ORIGINS: 'https://a.example, https://*.b.example', INR_PER_USD: '83.25' });

    expect(config.redirectAllowList.check('https://x.b.example/done', 'success_url').hostname).toBe('x.b.example');
    expect(config.inrPerUsdMicros).toBe(83_250_000);
  });

  it('refuses production with a region that has no keys, unless SANDBOX_IN_PRODUCTION=1 asks for the sandbox on purpose', () => {
    const production = { NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(40) };
    const stripeOnly = { ...production, STRIPE_SECRET_KEY: 'sk_live_abc', ...STRIPE_PRICE_ENV };

    expect(() => loadConfig(production)).toThrow(/no keys for Stripe \(STRIPE_SECRET_KEY\).*\n.*no keys for Razorpay/);
    expect(() => loadConfig(stripeOnly)).toThrow(/^invalid configuration: NODE_ENV=production has no keys for Razorpay.*SANDBOX_IN_PRODUCTION=1/);
    expect(loadConfig({ ...stripeOnly, SANDBOX_IN_PRODUCTION: '1' }).razorpay).toBeUndefined();
  });

  it('reports every problem at once, one line each, naming each variable once', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: '70000', STRIPE_SECRET_KEY: 'sk_test_abc', STRIPE_PRICE_PRO_MONTHLY: 'price_pm', MARKETPLACE_FEE_BPS: '20%', INR_PER_USD: 'eighty', RAZORPAY_KEY_ID: 'rzp_test_abc' });
    } catch (caught) {
      error = caught;
    }

    expect(error).toBeInstanceOf(ConfigError);
    const lines = (error as ConfigError).message.split('\n');
    // PORT, five Stripe prices missing, the fee, the rate, the Razorpay pair.
    expect(lines).toHaveLength(1 + 5 + 3);
    expect(lines.every((line) => line.startsWith('invalid configuration: '))).toBe(true);
    for (const variable of ['PORT', 'STRIPE_PRICE_STARTER_MONTHLY', 'STRIPE_PRICE_BUSINESS_YEARLY', 'MARKETPLACE_FEE_BPS', 'INR_PER_USD', 'RAZORPAY_KEY_SECRET']) {
      const naming = lines.filter((line) => line.includes(variable));
      expect(naming, variable).toHaveLength(1);
      expect(naming[0]!.split(variable)).toHaveLength(2);
    }
  });

  it('turns GraphiQL off in production unless GRAPHIQL=on, and takes a METRICS_TOKEN of 16 characters or more', () => {
    const production = { NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(40), SANDBOX_IN_PRODUCTION: '1' };

    expect([loadConfig({}).graphiql, loadConfig(production).graphiql, loadConfig({ ...production, GRAPHIQL: 'on' }).graphiql, loadConfig({ GRAPHIQL: 'off' }).graphiql]).toEqual([true, false, true, false]);
    expect(loadConfig({ METRICS_TOKEN: 'm'.repeat(16) }).metricsToken).toBe('m'.repeat(16));
    expect(() => loadConfig({ METRICS_TOKEN: 'short' })).toThrow(/METRICS_TOKEN must be at least 16 characters/);
    expect(() => loadConfig({ GRAPHIQL: 'yes' })).toThrow(/GRAPHIQL/);
  });

  it('answers CORS for the redirect allow-list by default, or for CORS_ALLOWED_ORIGINS, never for an unparsable or longer origin', () => {
    const byDefault = loadConfig({});
    const chosen = loadConfig({ CORS_ALLOWED_ORIGINS: 'https://dash.example, https://*.preview.example' });

    expect(byDefault.corsAllowList.allowsOrigin('https://app.aerostack.dev')).toBe(true);
    expect(byDefault.corsAllowList.allowsOrigin('https://pr-1.aerostack-admin.pages.dev')).toBe(true);
    expect(byDefault.corsAllowList.allowsOrigin('https://app.aerostack.dev.evil.example')).toBe(false);
    expect(byDefault.corsAllowList.allowsOrigin('https://app.aerostack.dev/')).toBe(false);
    expect(byDefault.corsAllowList.allowsOrigin('null')).toBe(false);
    expect([chosen.corsAllowList.allowsOrigin('https://a.preview.example'), chosen.corsAllowList.allowsOrigin('https://app.aerostack.dev')]).toEqual([true, false]);
    expect(() => loadConfig({ CORS_ALLOWED_ORIGINS: '*' })).toThrow(/CORS_ALLOWED_ORIGINS/);
  });

  it('lets a token live a day from its iat unless JWT_MAX_TTL_SECONDS says otherwise', () => {
    expect(loadConfig({}).jwt.maxTtlSeconds).toBe(86_400);
    expect(loadConfig({ JWT_MAX_TTL_SECONDS: '3600' }).jwt.maxTtlSeconds).toBe(3600);
    expect(() => loadConfig({ JWT_MAX_TTL_SECONDS: '1e308' })).toThrow(/JWT_MAX_TTL_SECONDS/);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pooledQuery } from '../../adapters/persistence/bound-query.ts';
import { openDatabase, type Database } from '../../adapters/persistence/database.ts';
import { UuidV7IdGenerator } from '../../adapters/system/uuid-v7.id-generator.ts';
import { UNIT_OF_WORK } from '../../application/shared/unit-of-work.port.ts';
import { WALLET_LEDGER } from '../../application/wallet/wallet-ledger.port.ts';
import { resolve } from '../../api/container.ts';
import { Money } from '../../domain/shared/money.value-object.ts';
import { adjustmentTransfer } from '../../domain/wallet/wallet-rules.ts';
import { aUserId } from '../support/builders.ts';
import { createPostgresDatabase, postgresUrl, type TestDatabase } from '../support/databases.ts';
import { runScript } from '../support/service-process.ts';
import { makeTestApp, signToken } from '../support/test-app.ts';

const AUDIT = 'query { ledgerAudit { ok checkedAt checks { name violations examples } } }';
const CHARGE = 'mutation ($input: ChargeToolCallInput!) { chargeToolCall(input: $input) { walletBalanceCents } }';
const ids = new UuidV7IdGenerator();

describe.skipIf(!postgresUrl)('the ledger auditor on PostgreSQL', () => {
  let created: TestDatabase;
  let database: Database;
  let app: ReturnType<typeof makeTestApp>;
  const consumer = aUserId();
  const creator = aUserId();
  beforeAll(async () => {
    created = await createPostgresDatabase(postgresUrl!);
    database = await openDatabase({ url: created.url, dataDir: '', poolMax: 4 });
    await database.migrate();
    app = makeTestApp({ database });
    // Money in by an admin's correction, out by charges, folded partly into stored balances.
    const funds = adjustmentTransfer({ transferId: ids.next(), userId: consumer, amount: Money.of(1_000, 'USD'), actorId: 'admin', reason: 'test funds', now: new Date() });
    await resolve(app.container, UNIT_OF_WORK).transactional(() => resolve(app.container, WALLET_LEDGER).post(funds));
    const service = await signToken({ sub: 'svc', role: 'service' });
    for (let call = 0; call < 5; call++) {
      const input = { consumerId: consumer, creatorId: creator, toolId: 'tool', priceCents: 100, idempotencyKey: `call-${call}` };
      expect((await app.graphql(CHARGE, { token: service, variables: { input } })).errors).toBeUndefined();
      if (call === 2) await resolve(app.container, WALLET_LEDGER).rollUpBalances(100);
    }
  });
  afterAll(async () => {
    await database?.close();
    await created?.drop();
  });

  it('reports every rule holding, to an admin over GraphQL, after charges and a roll-up', async () => {
    const { data, errors } = await app.graphql(AUDIT, { token: await signToken({ sub: 'ops', role: 'admin' }) });

    expect(errors).toBeUndefined();
    expect(data.ledgerAudit.ok).toBe(true);
    expect(data.ledgerAudit.checks.map((check: { name: string }) => check.name)).toEqual([
      'transfers_balance',
      'stored_balances_match_entries',
      'no_unflagged_negative_wallet',
      'deposits_credited_once',
      'tool_charges_have_transfers',
      'payouts_match_entries',
      'ledger_sums_to_zero',
    ]);
    expect(data.ledgerAudit.checks.every((check: { violations: number }) => check.violations === 0)).toBe(true);
  });

  it('refuses the audit to anyone but an admin', async () => {
    const { errors } = await app.graphql(AUDIT, { token: await signToken({ sub: consumer }) });

    expect(errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('names the wallet whose stored balance no longer equals its entries, and `npm run ledger:audit` exits 1 on it and 0 once it is mended', async () => {
    await pooledQuery(database.orm, 'update wallets set balance_cents = balance_cents + 1 where user_id = $1', [consumer]);
    try {
      const { data } = await app.graphql(AUDIT, { token: await signToken({ sub: 'ops', role: 'admin' }) });
      const broken = data.ledgerAudit.checks.filter((check: { violations: number }) => check.violations > 0);
      expect(data.ledgerAudit.ok).toBe(false);
      expect(broken).toEqual([
        { name: 'stored_balances_match_entries', violations: 1, examples: [`wallet:${consumer}`] },
        { name: 'ledger_sums_to_zero', violations: 1, examples: ['stored balances'] },
      ]);

      const failing = await runScript('api/ledger-audit.ts', [], { DATABASE_URL: created.url });
      expect(failing.code).toBe(1);
      expect(failing.stdout).toContain('2 rule(s) broken');
      expect(failing.stdout).toContain(`FAIL  stored_balances_match_entries: 1 violation(s), e.g. wallet:${consumer}`);
    } finally {
      await pooledQuery(database.orm, 'update wallets set balance_cents = balance_cents - 1 where user_id = $1', [consumer]);
    }
    const passing = await runScript('api/ledger-audit.ts', [], { DATABASE_URL: created.url });
    expect(passing.code).toBe(0);
    expect(passing.stdout).toContain('every rule holds');
  });

  it('names the charge whose creator credit went missing from the stored balances', async () => {
    const [delta] = await pooledQuery<{ amount_minor: string }>(
      database.orm,
      `delete from ledger_balance_deltas where ctid = (select ctid from ledger_balance_deltas where account = $1 limit 1) returning amount_minor`,
      [`creator_balance:${creator}`],
    );
    try {
      const { data } = await app.graphql(AUDIT, { token: await signToken({ sub: 'ops', role: 'admin' }) });
      expect(data.ledgerAudit.checks.filter((check: { violations: number }) => check.violations > 0).map((check: { name: string; examples: string[] }) => [check.name, check.examples])).toEqual([
        ['stored_balances_match_entries', [`creator_balance:${creator}`]],
        ['ledger_sums_to_zero', ['stored balances']],
      ]);
    } finally {
      await pooledQuery(database.orm, 'insert into ledger_balance_deltas (owner_id, account, amount_minor) values ($1, $2, $3)', [consumer, `creator_balance:${creator}`, delta!.amount_minor]);
    }
  });
});

describe('the ledger auditor in memory', () => {
  it('checks the rules the in-memory ledger can see: transfers balance, wallets equal their entries, none below zero unflagged', async () => {
    const app = makeTestApp();
    const admin = await signToken({ sub: 'ops', role: 'admin' });
    const user = aUserId();
    const funds = adjustmentTransfer({ transferId: ids.next(), userId: user, amount: Money.of(300, 'USD'), actorId: 'admin', reason: 'test funds', now: new Date() });
    await resolve(app.container, UNIT_OF_WORK).transactional(() => resolve(app.container, WALLET_LEDGER).post(funds));

    const { data, errors } = await app.graphql(AUDIT, { token: admin });

    expect(errors).toBeUndefined();
    expect(data.ledgerAudit).toMatchObject({
      ok: true,
      checks: [
        { name: 'transfers_balance', violations: 0 },
        { name: 'stored_balances_match_entries', violations: 0 },
        { name: 'no_unflagged_negative_wallet', violations: 0 },
      ],
    });
  });
});

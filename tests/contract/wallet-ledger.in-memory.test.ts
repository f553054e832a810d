import { InMemoryUnitOfWork } from '../../adapters/in-memory/in-memory.unit-of-work.ts';
import { InMemoryWalletLedger } from '../../adapters/in-memory/in-memory.wallet-ledger.ts';
import { runWalletLedgerContract } from './wallet-ledger.contract.ts';

runWalletLedgerContract(
  'in memory',
  () => {
    const ledger = new InMemoryWalletLedger();
    return { ledger, uow: new InMemoryUnitOfWork(), transfersOf: (account, limit) => ledger.transfersOf(account, limit) };
  },
  { concurrency: 200 },
);

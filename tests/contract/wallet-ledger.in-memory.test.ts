import { InMemoryUnitOfWork } from '../../adapters/in-memory/in-memory.unit-of-work.ts';
import { InMemoryWalletLedger } from '../../adapters/in-memory/in-memory.wallet-ledger.ts';
import { runWalletLedgerContract } from './wallet-ledger.contract.ts';

runWalletLedgerContract('in memory', () => ({ ledger: new InMemoryWalletLedger(), uow: new InMemoryUnitOfWork() }), { concurrency: 200 });

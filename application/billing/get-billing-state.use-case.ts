import type { SignupSignals } from '../shared/requester.ts';
import type { AccountPlanRepository } from './account-plan.repository.ts';
import { toBillingState, type BillingState } from './billing-state.ts';
import type { RegisterAccount } from './register-account.use-case.ts';

export interface GetBillingStateInput {
  readonly userId: string;
  readonly signals: SignupSignals;
}

/** Reads the user's plan, opening their account on first use as signup would have. */
export class GetBillingState {
  private readonly accounts: AccountPlanRepository;
  private readonly registerAccount: RegisterAccount;

  constructor(accounts: AccountPlanRepository, registerAccount: RegisterAccount) {
    this.accounts = accounts;
    this.registerAccount = registerAccount;
  }

  async execute(input: GetBillingStateInput): Promise<BillingState> {
    const plan = await this.accounts.findByUserId(input.userId);
    if (plan) return toBillingState(plan);
    return this.registerAccount.execute({ userId: input.userId, signals: input.signals });
  }
}

import type { SignupSignals } from '../shared/requester.ts';
import type { AccountOpener } from './account-opener.service.ts';
import { toBillingState, type BillingState } from './billing-state.view.ts';

export interface GetBillingStateInput {
  readonly userId: string;
  readonly signals: SignupSignals;
}

/** Reads the user's plan, opening their account on first use as signup would have. */
export class GetBillingState {
  private readonly opener: AccountOpener;

  constructor(opener: AccountOpener) {
    this.opener = opener;
  }

  async execute(input: GetBillingStateInput): Promise<BillingState> {
    return toBillingState(await this.opener.open(input.userId, input.signals));
  }
}

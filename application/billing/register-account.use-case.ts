import { Country } from '../../domain/billing/country.value-object.ts';
import { ConflictError } from '../../domain/shared/errors.ts';
import type { SignupSignals } from '../shared/requester.ts';
import type { AccountOpener } from './account-opener.service.ts';
import { toBillingState, type BillingState } from './billing-state.view.ts';

export interface RegisterAccountInput {
  readonly userId: string;
  /** The country the user stated at signup; when absent it is resolved from `signals`. */
  readonly country?: unknown;
  readonly signals: SignupSignals;
}

/**
 * Opens the user's billing account, choosing its gateway from the country once and for all.
 * Registering again is harmless and returns the account as it is; registering again with a
 * different stated country is a conflict, because the gateway it chose cannot change.
 */
export class RegisterAccount {
  private readonly opener: AccountOpener;

  constructor(opener: AccountOpener) {
    this.opener = opener;
  }

  async execute(input: RegisterAccountInput): Promise<BillingState> {
    if (input.country === undefined || input.country === null) {
      return toBillingState(await this.opener.open(input.userId, input.signals));
    }
    const stated = Country.parse(input.country);
    const plan = await this.opener.register(input.userId, stated);
    if (!plan.country.equals(stated)) {
      throw new ConflictError(
        `this account was registered in ${plan.country.code} and pays through ${plan.paymentGateway}; ` +
          `the payment gateway is decided once, at signup, and cannot be changed by registering again`,
      );
    }
    return toBillingState(plan);
  }
}

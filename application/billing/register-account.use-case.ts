import { Country } from '../../domain/billing/country.value-object.ts';
import { ConflictError } from '../../domain/shared/errors.ts';
import type { SignupSignals } from '../shared/requester.ts';
import type { AccountOpener } from './account-opener.service.ts';
import { toBillingState, type BillingState } from './billing-state.view.ts';

/** `registerAccount` as the edge received it. */
export interface RegisterAccountRequest {
  readonly userId: string;
  /** The country the user stated at signup; when absent it is resolved from `signals`. */
  readonly country?: unknown;
  readonly signals: SignupSignals;
}

export interface RegisterAccountInput {
  readonly userId: string;
  /** Null when the user stated none. */
  readonly country: Country | null;
  readonly signals: SignupSignals;
}

export function parseRegisterAccountInput(request: RegisterAccountRequest): RegisterAccountInput {
  const country = request.country === undefined || request.country === null ? null : Country.parse(request.country);
  return { userId: request.userId, country, signals: request.signals };
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

  async execute(request: RegisterAccountRequest): Promise<BillingState> {
    const input = parseRegisterAccountInput(request);
    const stated = input.country;
    if (stated === null) return toBillingState(await this.opener.open(input.userId, input.signals));
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

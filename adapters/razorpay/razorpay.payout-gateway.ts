import { createHash } from 'node:crypto';
import type {
  OnboardingRequest,
  PayoutGateway,
  PayoutProfile,
  ProviderAccountState,
  ProviderTransfer,
  ProviderTransferState,
  StartedOnboarding,
  TransferRequest,
} from '../../application/payouts/payout-gateway.port.ts';
import type { OnboardingStatus } from '../../domain/payouts/payout-account.entity.ts';
import { InvalidInputError, invariant, PayoutRefusedError } from '../../domain/shared/errors.ts';
import { hintIn } from '../shared/wire.ts';
import { RAZORPAY_PROVIDER, type RazorpayClient } from './razorpay.client.ts';
import type { RazorpayRequirement, RazorpayTransfer } from './razorpay.wire.ts';

/** Razorpay's rule for an `X-Transfer-Idempotency` key. */
const IDEMPOTENCY_KEY = /^[A-Za-z0-9_ -]{4,36}$/;
/**
 * Razorpay requires a business category and sub-category even for an individual. Creators sell
 * tool calls on a developer platform: software as a service, from Route's documented list.
 */
const BUSINESS_PROFILE = { category: 'it_and_software', subcategory: 'saas' } as const;
/** Separates the linked account and its Route product in our account id (neither id contains it). */
const ID_SEPARATOR = ':';

/**
 * Creator payouts through Razorpay Route, via the official SDK. Route has no hosted onboarding:
 * the creator's own details (`request.profile`) make a linked account, its stakeholder and its
 * Route product with the bank account Razorpay settles to; Razorpay then verifies the bank
 * account and activates the product (or asks for clarification). A payout is a direct transfer
 * from our balance to the linked account.
 *
 * Reading an account's standing means fetching its Route product, which takes the product's id
 * as well as the account's, and the port keeps one id per creator: our account id is therefore
 * `acc_…:acc_prd_…` (see `routeAccountId`), which a `product.route.*` event also carries.
 */
export class RazorpayPayoutGateway implements PayoutGateway {
  readonly provider = RAZORPAY_PROVIDER;
  readonly payoutCurrency = 'INR';
  private readonly client: RazorpayClient;

  constructor(client: RazorpayClient) {
    this.client = client;
  }

  /**
   * The first start creates the linked account, its stakeholder and its Route product; a later
   * start sends the (possibly corrected) bank details to the same product again. Either way the
   * creator goes straight back to `returnUrl`: there is no page at Razorpay to visit.
   */
  async startOnboarding(request: OnboardingRequest): Promise<StartedOnboarding> {
    const profile = request.profile;
    if (profile === null) {
      throw new InvalidInputError('profile', 'Razorpay needs the payout profile: email, phone, legal name, bank account and IFSC');
    }
    let accountId: string;
    let productId: string;
    if (request.accountId === null) {
      const account = await this.client.createLinkedAccount(linkedAccountParams(request.creatorId, profile));
      await this.client.createStakeholder(account.id, { name: profile.legalName, email: profile.email, kyc: { pan: profile.pan } });
      const requested = await this.client.requestProductConfiguration(account.id, { product_name: 'route', tnc_accepted: true });
      accountId = account.id;
      productId = requested.id;
    } else {
      ({ accountId, productId } = parseRouteAccountId(request.accountId));
    }
    const product = await this.client.updateProductConfiguration(accountId, productId, {
      settlements: { account_number: profile.bankAccountNumber, ifsc_code: profile.ifsc, beneficiary_name: profile.legalName },
      tnc_accepted: true,
    });
    const state = routeProductState(routeAccountId(accountId, productId), product);
    return { accountId: state.accountId, url: request.returnUrl.href, status: state.status };
  }

  async retrieveAccount(accountId: string): Promise<ProviderAccountState> {
    const ids = parseRouteAccountId(accountId);
    return routeProductState(accountId, await this.client.fetchProductConfiguration(ids.accountId, ids.productId));
  }

  /**
   * A direct transfer, idempotent on the payout id. Razorpay answers `processed` (the money is in
   * the linked account, settled to the bank on its schedule) or `pending` (a `transfer.processed`
   * or `transfer.failed` event follows); a `failed` answer is a refusal like a 400.
   */
  async transfer(request: TransferRequest): Promise<ProviderTransfer> {
    invariant(request.amount.currency === this.payoutCurrency, `Razorpay payouts are in INR, got ${request.amount.currency}`);
    const transfer = await this.client.createTransfer(
      {
        account: parseRouteAccountId(request.accountId).accountId,
        amount: request.amount.amountMinor,
        currency: 'INR',
        notes: { payout_id: request.payoutId },
      },
      transferIdempotencyKey(request.payoutId),
    );
    if (transfer.status === 'failed') throw new PayoutRefusedError(this.provider, 'transfer the payout', failureOf(transfer));
    return { transferId: transfer.id, settled: transfer.status === 'processed' };
  }

  async retrieveTransfer(transferId: string, accountId: string): Promise<ProviderTransferState> {
    const transfer = await this.client.fetchTransfer(transferId);
    const reversedMinor = transfer.amount_reversed ?? 0;
    const reversedWhole = transfer.status === 'reversed' || reversedMinor >= transfer.amount;
    const outcome = transfer.status === 'failed' || reversedWhole ? 'failed' : transfer.status === 'processed' || transfer.status === 'partially_reversed' ? 'paid' : 'pending';
    return {
      transferId: transfer.id,
      toAccount: transfer.recipient === parseRouteAccountId(accountId).accountId,
      amount: { amountMinor: transfer.amount, currency: transfer.currency.toUpperCase() },
      payoutId: hintIn(transfer.notes ?? {}, 'payout_id'),
      outcome,
      reversed: { amountMinor: reversedWhole ? 0 : reversedMinor, currency: transfer.currency.toUpperCase() },
      reason: transfer.status === 'failed' ? failureOf(transfer) : reversedMinor > 0 ? `Razorpay reversed ${reversedMinor} of ${transfer.amount} paise of the transfer` : null,
    };
  }
}

function failureOf(transfer: RazorpayTransfer): string {
  return transfer.error?.description || transfer.error?.reason || transfer.error?.code || 'Razorpay failed the transfer';
}

/** Our id for a creator's Route account: the linked account and its Route product. */
export function routeAccountId(linkedAccountId: string, productId: string): string {
  return `${linkedAccountId}${ID_SEPARATOR}${productId}`;
}

export function parseRouteAccountId(id: string): { accountId: string; productId: string } {
  const [accountId, productId, ...rest] = id.split(ID_SEPARATOR);
  invariant(accountId && productId && rest.length === 0, `not a Razorpay Route account id: ${id}`);
  return { accountId, productId };
}

/**
 * Where a Route product stands in our terms: the same reading for a fetch and for a
 * `product.route.*` event. `activated` can be paid; `requested` and `under_review` wait on
 * Razorpay; `needs_clarification` and `suspended` wait on the creator, with Razorpay's reasons.
 */
export function routeProductState(
  accountId: string,
  product: { readonly activation_status?: unknown; readonly requirements?: readonly RazorpayRequirement[] | null },
): ProviderAccountState {
  const status = onboardingStatusOf(product.activation_status);
  if (status !== 'restricted') return { accountId, status, reason: null };
  const reasons = requirementReasons(product.requirements ?? []);
  const fallback = product.activation_status === 'suspended' ? 'Razorpay suspended the Route account' : 'Razorpay needs clarification on the account';
  return { accountId, status, reason: reasons ?? fallback };
}

function onboardingStatusOf(activationStatus: unknown): OnboardingStatus {
  switch (activationStatus) {
    case 'activated':
      return 'verified';
    case 'needs_clarification':
    case 'suspended':
    case 'rejected': // not documented for Route; read as a restriction should it come
      return 'restricted';
    default:
      // requested, under_review, and anything Razorpay adds later: nothing for the creator to do yet.
      return 'pending';
  }
}

/** "Max retry exceeded for bank account details. (settlements.ifsc_code, settlements.account_number)". */
function requirementReasons(requirements: readonly RazorpayRequirement[]): string | null {
  const fieldsByText = new Map<string, string[]>();
  for (const requirement of requirements) {
    const text = requirement.description || requirement.reason_code;
    if (!text) continue;
    const fields = fieldsByText.get(text) ?? [];
    if (requirement.field_reference) fields.push(requirement.field_reference);
    fieldsByText.set(text, fields);
  }
  if (fieldsByText.size === 0) return null;
  return [...fieldsByText].map(([text, fields]) => (fields.length > 0 ? `${text} (${fields.join(', ')})` : text)).join('; ');
}

/**
 * What Route requires of a linked account, from the creator's profile (the PAN goes on the
 * stakeholder). No `reference_id`: Razorpay accepts one only with its "route code" feature
 * switched on for the merchant; the creator id travels in the notes instead.
 */
function linkedAccountParams(creatorId: string, profile: PayoutProfile): Record<string, unknown> {
  return {
    type: 'route',
    email: profile.email,
    phone: profile.phone,
    legal_business_name: profile.legalName,
    business_type: 'individual',
    contact_name: profile.legalName,
    profile: {
      ...BUSINESS_PROFILE,
      addresses: { registered: { street1: profile.street, city: profile.city, state: profile.state, postal_code: profile.postalCode, country: 'IN' } },
    },
    notes: { creator_id: creatorId },
  };
}

/** The payout id (a UUID fits Razorpay's 4–36 characters), else a stable digest of it. */
export function transferIdempotencyKey(payoutId: string): string {
  if (IDEMPOTENCY_KEY.test(payoutId)) return payoutId;
  return createHash('sha256').update(payoutId).digest('hex').slice(0, 32);
}

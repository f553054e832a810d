import type { Invoice } from '../../domain/billing/invoice.entity.ts';
import type { PaymentGatewayName } from '../../domain/billing/plan.value-objects.ts';
import { token } from '../shared/token.ts';
import type { Page, PageRequest } from '../shared/pagination.ts';

/** The invoices and receipts of the payments applied for each user. */
export interface InvoiceRepository {
  /**
   * Stores a new invoice in the caller's unit of work; false, storing nothing, when one for the
   * same provider payment (gateway and payment id) is kept already, whoever wrote it.
   */
  add(invoice: Invoice): Promise<boolean>;
  /** The invoice of the checkout session's payment, locked until the unit of work ends. */
  findByCheckoutSessionForUpdate(checkoutSessionId: string): Promise<Invoice | null>;
  findByProviderPayment(gateway: PaymentGatewayName, providerPaymentId: string): Promise<Invoice | null>;
  /** Writes a changed status. */
  save(invoice: Invoice): Promise<void>;
  /** A user's invoices, newest first (created, then id); a cursor not from this list is BAD_USER_INPUT on `after`. */
  listForUser(userId: string, page: PageRequest): Promise<Page<Invoice>>;
}

export const INVOICE_REPOSITORY = token<InvoiceRepository>('InvoiceRepository');

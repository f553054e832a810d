import type { InvoiceRepository } from '../../application/billing/invoice.repository.ts';
import type { Page, PageRequest } from '../../application/shared/pagination.ts';
import type { Invoice } from '../../domain/billing/invoice.entity.ts';
import type { PaymentGatewayName } from '../../domain/billing/plan.value-objects.ts';
import { invoiceCursor, invoicePosition } from '../shared/invoice-cursor.ts';
import { copyEntity } from './entity-copy.ts';

/** Invoices in memory; locking is the in-memory unit of work's one-at-a-time. */
export class InMemoryInvoiceRepository implements InvoiceRepository {
  private readonly invoices = new Map<string, Invoice>();

  async add(invoice: Invoice): Promise<boolean> {
    invoice.assertInvariants();
    const taken = [...this.invoices.values()].some(
      (kept) =>
        kept.id === invoice.id ||
        (kept.gateway === invoice.gateway && kept.providerPaymentId === invoice.providerPaymentId) ||
        (invoice.checkoutSessionId !== null && kept.checkoutSessionId === invoice.checkoutSessionId),
    );
    if (taken) return false;
    this.invoices.set(invoice.id, copyEntity(invoice));
    return true;
  }

  async findByCheckoutSessionForUpdate(checkoutSessionId: string): Promise<Invoice | null> {
    const found = [...this.invoices.values()].find((invoice) => invoice.checkoutSessionId === checkoutSessionId);
    return found ? copyEntity(found) : null;
  }

  async findByProviderPayment(gateway: PaymentGatewayName, providerPaymentId: string): Promise<Invoice | null> {
    const found = [...this.invoices.values()].find((invoice) => invoice.gateway === gateway && invoice.providerPaymentId === providerPaymentId);
    return found ? copyEntity(found) : null;
  }

  async save(invoice: Invoice): Promise<void> {
    invoice.assertInvariants();
    if (this.invoices.has(invoice.id)) this.invoices.set(invoice.id, copyEntity(invoice));
  }

  async listForUser(userId: string, page: PageRequest): Promise<Page<Invoice>> {
    let mine = [...this.invoices.values()]
      .filter((invoice) => invoice.userId === userId)
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
    if (page.after !== undefined) {
      const after = invoicePosition(page.after);
      mine = mine.filter((invoice) => invoice.createdAt < after.createdAt || (invoice.createdAt.getTime() === after.createdAt.getTime() && invoice.id < after.id));
    }
    return {
      hasNextPage: mine.length > page.first,
      items: mine.slice(0, page.first).map((invoice) => ({ cursor: invoiceCursor(invoice), node: copyEntity(invoice) })),
    };
  }
}

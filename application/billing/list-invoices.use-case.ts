import type { Invoice } from '../../domain/billing/invoice.entity.ts';
import { parsePage, type Page } from '../shared/pagination.ts';
import type { InvoiceRepository } from './invoice.repository.ts';

/** The caller's own invoices and receipts, newest first, a page at a time. */
export class ListInvoices {
  private readonly invoices: InvoiceRepository;

  constructor(invoices: InvoiceRepository) {
    this.invoices = invoices;
  }

  execute(input: { readonly userId: string; readonly first: unknown; readonly after: unknown }): Promise<Page<Invoice>> {
    return this.invoices.listForUser(input.userId, parsePage(input.first, input.after));
  }
}

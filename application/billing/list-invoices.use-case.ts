import type { Invoice } from '../../domain/billing/invoice.entity.ts';
import { parsePage, type Page, type PageRequest } from '../shared/pagination.ts';
import type { InvoiceRepository } from './invoice.repository.ts';

/** `invoices(first, after)` as the edge received it. */
export interface ListInvoicesRequest {
  readonly userId: string;
  readonly first: unknown;
  readonly after: unknown;
}

export interface ListInvoicesInput {
  readonly userId: string;
  readonly page: PageRequest;
}

export function parseListInvoicesInput(request: ListInvoicesRequest): ListInvoicesInput {
  return { userId: request.userId, page: parsePage(request.first, request.after) };
}

/** The caller's own invoices and receipts, newest first, a page at a time. */
export class ListInvoices {
  private readonly invoices: InvoiceRepository;

  constructor(invoices: InvoiceRepository) {
    this.invoices = invoices;
  }

  execute(request: ListInvoicesRequest): Promise<Page<Invoice>> {
    const input = parseListInvoicesInput(request);
    return this.invoices.listForUser(input.userId, input.page);
  }
}

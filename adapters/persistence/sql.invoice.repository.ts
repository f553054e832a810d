import type { MikroORM } from '@mikro-orm/postgresql';
import type { InvoiceRepository } from '../../application/billing/invoice.repository.ts';
import type { Page, PageRequest } from '../../application/shared/pagination.ts';
import { Invoice, type InvoiceKind, type InvoiceStatus } from '../../domain/billing/invoice.entity.ts';
import type { BillingInterval, PaidPlanTier, PaymentGatewayName } from '../../domain/billing/plan.value-objects.ts';
import { invoiceCursor, invoicePosition } from '../shared/invoice-cursor.ts';
import { boundQuery } from './bound-query.ts';

interface InvoiceRow {
  id: string;
  user_id: string;
  gateway: PaymentGatewayName;
  kind: InvoiceKind;
  tier: PaidPlanTier | null;
  billing_interval: BillingInterval | null;
  amount_minor: string | number;
  currency: string;
  fx_rate_micros: string | number | null;
  fx_source: string | null;
  fx_quoted_at: Date | string | null;
  fx_base_amount_minor: string | number | null;
  period_start: Date | string | null;
  period_end: Date | string | null;
  provider_payment_id: string;
  receipt_url: string | null;
  checkout_session_id: string | null;
  status: InvoiceStatus;
  created_at: Date | string;
  updated_at: Date | string;
}

const dateOrNull = (value: Date | string | null) => (value === null ? null : new Date(value));

/** Invoice.restore checks the row against every rule of an invoice (CorruptRecordError). */
function toInvoice(row: InvoiceRow): Invoice {
  return Invoice.restore({
    id: row.id,
    userId: row.user_id,
    gateway: row.gateway,
    kind: row.kind,
    plan: row.tier && row.billing_interval ? { tier: row.tier, billingInterval: row.billing_interval } : null,
    payment: {
      paymentId: row.provider_payment_id,
      amountMinor: Number(row.amount_minor),
      currency: row.currency,
      receiptUrl: row.receipt_url,
      periodStart: dateOrNull(row.period_start),
      periodEnd: dateOrNull(row.period_end),
    },
    fx:
      row.fx_rate_micros === null || row.fx_source === null || row.fx_quoted_at === null || row.fx_base_amount_minor === null
        ? null
        : { rateMicros: Number(row.fx_rate_micros), source: row.fx_source, quotedAt: new Date(row.fx_quoted_at), baseAmountMinor: Number(row.fx_base_amount_minor) },
    checkoutSessionId: row.checkout_session_id,
    status: row.status,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  });
}

/** Invoices in plain SQL (bound parameters), inside whatever transaction the unit of work runs. */
export class SqlInvoiceRepository implements InvoiceRepository {
  private readonly orm: MikroORM;

  constructor(orm: MikroORM) {
    this.orm = orm;
  }

  /** In the caller's unit of work when there is one. */
  private query<R>(sql: string, parameters: readonly unknown[]): Promise<readonly R[]> {
    return boundQuery<R>(this.orm, sql, parameters);
  }

  async add(invoice: Invoice): Promise<boolean> {
    invoice.assertInvariants();
    // A second writer of the same payment (another path, another process) waits for the first to commit, then inserts nothing.
    const inserted = await this.query<{ id: string }>(
      `insert into invoices (id, user_id, gateway, kind, tier, billing_interval, amount_minor, currency,
         fx_rate_micros, fx_source, fx_quoted_at, fx_base_amount_minor, period_start, period_end,
         provider_payment_id, receipt_url, checkout_session_id, status, created_at, updated_at)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)
       on conflict do nothing returning id`,
      [
        invoice.id,
        invoice.userId,
        invoice.gateway,
        invoice.kind,
        invoice.tier,
        invoice.billingInterval,
        invoice.amountMinor,
        invoice.currency,
        invoice.fx?.rateMicros ?? null,
        invoice.fx?.source ?? null,
        invoice.fx?.quotedAt ?? null,
        invoice.fx?.baseAmountMinor ?? null,
        invoice.periodStart,
        invoice.periodEnd,
        invoice.providerPaymentId,
        invoice.receiptUrl,
        invoice.checkoutSessionId,
        invoice.status,
        invoice.createdAt,
        invoice.updatedAt,
      ],
    );
    return inserted.length === 1;
  }

  async findByCheckoutSessionForUpdate(checkoutSessionId: string): Promise<Invoice | null> {
    const [row] = await this.query<InvoiceRow>('select * from invoices where checkout_session_id = $1 for update', [checkoutSessionId]);
    return row ? toInvoice(row) : null;
  }

  async findByProviderPayment(gateway: PaymentGatewayName, providerPaymentId: string): Promise<Invoice | null> {
    const [row] = await this.query<InvoiceRow>('select * from invoices where gateway = $1 and provider_payment_id = $2', [gateway, providerPaymentId]);
    return row ? toInvoice(row) : null;
  }

  async save(invoice: Invoice): Promise<void> {
    invoice.assertInvariants();
    await this.query('update invoices set status = $1, updated_at = $2 where id = $3', [invoice.status, invoice.updatedAt, invoice.id]);
  }

  async listForUser(userId: string, page: PageRequest): Promise<Page<Invoice>> {
    const params: unknown[] = [userId];
    let after = '';
    if (page.after !== undefined) {
      const position = invoicePosition(page.after);
      params.push(position.createdAt, position.id);
      after = `and (created_at, id) < ($${params.length - 1}, $${params.length})`;
    }
    params.push(page.first + 1);
    const rows = await this.query<InvoiceRow>(`select * from invoices where user_id = $1 ${after} order by created_at desc, id desc limit $${params.length}`, params);
    return {
      hasNextPage: rows.length > page.first,
      items: rows.slice(0, page.first).map((row) => {
        const invoice = toInvoice(row);
        return { cursor: invoiceCursor(invoice), node: invoice };
      }),
    };
  }
}

import './admin.schema.ts';
import './billing.schema.ts';
import './invoices.schema.ts';
import './ledger-audit.schema.ts';
import './duplicate-subscriptions.schema.ts';
import './payouts.schema.ts';
import './wallet.schema.ts';
import './webhooks.schema.ts';
import { builder } from './builder.ts';

export type { GraphQLContext } from './builder.ts';

export const schema = builder.toSchema({ sortSchema: true });

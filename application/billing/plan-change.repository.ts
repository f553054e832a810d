import type { PlanChange } from '../../domain/billing/plan-change.entity.ts';
import { token } from '../shared/token.ts';

export interface PlanChangeRepository {
  append(change: PlanChange): Promise<void>;
  listForUser(userId: string, limit: number): Promise<PlanChange[]>;
}

export const PLAN_CHANGE_REPOSITORY = token<PlanChangeRepository>('PlanChangeRepository');

import { randomUUID } from 'node:crypto';
import { AccountPlan } from '../../domain/billing/account-plan.entity.ts';
import { Country } from '../../domain/billing/country.value-object.ts';

export function aUserId(): string {
  return `user-${randomUUID()}`;
}

class AccountPlanBuilder {
  private userId = aUserId();
  private country = Country.parse('US');
  private now = new Date('2026-11-01T00:00:00Z');

  forUser(userId: string): this {
    this.userId = userId;
    return this;
  }

  inCountry(code: string): this {
    this.country = Country.parse(code);
    return this;
  }

  at(now: Date): this {
    this.now = now;
    return this;
  }

  build(): AccountPlan {
    return AccountPlan.register({ userId: this.userId, country: this.country, now: this.now });
  }
}

export function anAccountPlan(): AccountPlanBuilder {
  return new AccountPlanBuilder();
}

/** A clock the test sets and moves. */
export class FixedClock {
  private current: Date;

  constructor(start = new Date('2026-11-01T00:00:00Z')) {
    this.current = start;
  }

  now(): Date {
    return new Date(this.current);
  }

  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
}

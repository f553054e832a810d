import { signupSignals } from '../http/request-auth.ts';
import type { GraphQLContext } from './builder.ts';

/** The caller as a creator or customer: their id and the signals that open their account. */
export async function caller(ctx: GraphQLContext) {
  const requester = await ctx.requester();
  return { userId: requester.userId, signals: signupSignals(requester, ctx.request) };
}

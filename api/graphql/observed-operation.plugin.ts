import { getOperationAST } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { ServerContext } from './builder.ts';

/** Tells the request's `operation` (for the metrics) which operation ran and whether its result had errors. */
export function useObservedOperation(): Plugin<ServerContext> {
  return {
    onExecute({ args }) {
      const operation = getOperationAST(args.document, args.operationName);
      return {
        onExecuteDone({ result }) {
          const observed = (args.contextValue as Partial<ServerContext>).operation;
          if (observed) observed.executed = {
            name: operation?.name?.value,
            type: operation?.operation ?? 'unknown',
            hasErrors: 'errors' in result && (result.errors?.length ?? 0) > 0,
          };
        },
      };
    },
  };
}

import type { ValidationRule } from 'graphql';
import { refusal } from './refusal.ts';

/** With GraphiQL off (GRAPHIQL=off, production's default), the schema is not handed out either. */
export const noIntrospectionRule: ValidationRule = (context) => ({
  Field(node) {
    if (node.name.value === '__schema' || node.name.value === '__type') {
      context.reportError(refusal('introspection is off on this server (GRAPHIQL=off)'));
    }
  },
});

export { qualified, quoteIdent } from '../sql/identifiers.js';

/** Tokens as managed objects (`auth.edgeplane.io/v1 Token`): issuing, authenticating, the hub's join token. */
export { issueToken, issueTokensOnCreate, secretHash, secretMatches, tokenType, type IssuedToken } from './issue.js';
export { TokenObjectAuthenticator, type TokenIndex } from './authenticate.js';
export { ensureJoinToken, formatJoinToken, FIRST_START_DESCRIPTION } from './join-token.js';

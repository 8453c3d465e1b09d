/** Authentication of API callers by bearer token. */
export { TokenAuth, type Principal, type Role, type TokenAuthOptions } from './token-auth.js';

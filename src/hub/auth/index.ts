/** Authentication of API callers by bearer token, and the authorisation seam. */
export { TokenAuth, readOrCreateSecret, type Principal, type Role, type TokenAuthOptions } from './token-auth.js';
export {
  roleAuthorizer,
  isReadVerb,
  describeRequest,
  type Authorizer,
  type Decision,
  type RequestAttributes,
  type Verb,
} from './authorize.js';

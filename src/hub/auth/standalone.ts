/**
 * Authentication and authorisation for an API app without a hub around it (`createTestApi`): what
 * the hub wires from its shared informers, with informers of its own. Tests and tools only.
 */
import { TOKEN_GROUP, type Clock, type Logger, type Token } from '../../api/index.js';
import { InformerFactory } from '../informers/index.js';
import type { ObjectAPI } from '../registry/index.js';
import { createRbac, reconcileBootstrapPolicy, type Rbac } from './rbac/index.js';
import { TokenAuth } from './token-auth.js';
import { TokenObjectAuthenticator, ensureJoinToken } from './tokens/index.js';

/** Token files and Token objects, RBAC with the built-in policy; `stop()` ends the informers' watches. */
export async function startStandaloneAuth(opts: {
  api: ObjectAPI;
  dataDir: string;
  logger: Logger;
  clock: Clock;
}): Promise<{ auth: TokenAuth; rbac: Rbac; stop: () => void }> {
  const { api, dataDir, logger, clock } = opts;
  await reconcileBootstrapPolicy(api, logger);
  const joinToken = await ensureJoinToken(api, dataDir, logger);
  const informers = new InformerFactory(api, logger);
  const rbac = createRbac(informers);
  const tokens = new TokenObjectAuthenticator(informers.for<Token>(`${TOKEN_GROUP}/v1`, 'Token'), clock);
  const auth = await TokenAuth.create({ dataDir, logger, tokens, joinToken });
  await informers.start();
  return { auth, rbac, stop: () => informers.stop() };
}

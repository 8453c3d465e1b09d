/**
 * The hub's own bootstrap token in `join.token`: created on first start (non-expiring, as K3s's
 * server token) and written `0600` as `id.secret`; a `join.token` of that format written by an
 * earlier hub is imported as a Token if its object is missing. A `join.token` of the older random
 * format keeps working as the shared node credential (TokenAuth reads it) until nodes have identities.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NotFoundError, TOKEN_FORMAT, type Logger } from '../../../api/index.js';
import { writeFileDurable } from '../../../durable/index.js';
import type { ObjectAPI } from '../../registry/index.js';
import { issueToken, tokenType } from './issue.js';

export { formatJoinToken } from './join-format.js';

/** The description of the token a hub makes on first start. */
export const FIRST_START_DESCRIPTION = 'created by edge-hub on first start';

async function readTrimmed(path: string): Promise<string> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw err;
  }
}

/** Makes sure `dataDir/join.token` holds a bootstrap token known as a Token object (see the file comment). */
export async function ensureJoinToken(api: ObjectAPI, dataDir: string, logger: Logger): Promise<void> {
  const path = join(dataDir, 'join.token');
  const text = await readTrimmed(path);
  if (text === '') {
    const issued = await issueToken(api, { usages: ['bootstrap'], description: FIRST_START_DESCRIPTION });
    await writeFileDurable(path, `${issued.bearer}\n`, { mode: 0o600 });
    logger.info({ tokenId: issued.token.metadata.name }, 'created the bootstrap token in join.token');
    return;
  }
  const m = TOKEN_FORMAT.exec(text);
  if (!m) return;
  const [, id = '', secret = ''] = m;
  try {
    await api.get(tokenType(), undefined, id);
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
    await issueToken(api, { usages: ['bootstrap'], description: 'imported from join.token' }, { id, secret });
    logger.info({ tokenId: id }, 'imported join.token as a bootstrap token');
  }
}

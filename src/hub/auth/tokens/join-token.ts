/**
 * The hub's own bootstrap token in `join.token`: created on first start (non-expiring, as K3s's
 * server token) and written `0600` as `id.secret`; a `join.token` of that format written by an
 * earlier hub is imported as a Token if its object is missing. The hub rewrites the file pinned to its
 * CA (`K10<ca-hash>::id.secret`) once it serves TLS (`src/hub/tls`).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NotFoundError, TOKEN_FORMAT, type Logger } from '../../../api/index.js';
import { writeFileDurable } from '../../../durable/index.js';
import { parseJoinToken } from '../../../pki/index.js';
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

/**
 * Makes sure `dataDir/join.token` holds a bootstrap token known as a Token object (see the file comment)
 * and returns its bearer (`id.secret`); the file may hold it bare or pinned (`K10<ca-hash>::id.secret`).
 */
export async function ensureJoinToken(api: ObjectAPI, dataDir: string, logger: Logger): Promise<string> {
  const path = join(dataDir, 'join.token');
  const text = await readTrimmed(path);
  const bearer = text === '' ? '' : joinTokenBearer(text);
  const m = TOKEN_FORMAT.exec(bearer);
  if (!m) {
    // None yet, or the random secret of a hub from before Token objects: that one could not be deleted
    // or expire, so it is replaced (joined nodes keep their certificates; new ones take the new file).
    const issued = await issueToken(api, { usages: ['bootstrap'], description: FIRST_START_DESCRIPTION });
    await writeFileDurable(path, `${issued.bearer}\n`, { mode: 0o600 });
    if (text === '') logger.info({ tokenId: issued.token.metadata.name }, 'created the bootstrap token in join.token');
    else
      logger.warn(
        { tokenId: issued.token.metadata.name },
        'join.token had an old format; replaced it with a bootstrap token',
      );
    return issued.bearer;
  }
  const [, id = '', secret = ''] = m;
  try {
    await api.get(tokenType(), undefined, id);
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
    await issueToken(api, { usages: ['bootstrap'], description: 'imported from join.token' }, { id, secret });
    logger.info({ tokenId: id }, 'imported join.token as a bootstrap token');
  }
  return bearer;
}

/** The bearer in a join string: `id.secret` from `K10<hash>::id.secret`, or the text itself. */
function joinTokenBearer(text: string): string {
  try {
    return parseJoinToken(text).secret;
  } catch {
    return text;
  }
}

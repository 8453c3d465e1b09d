import { describe, expect, it } from 'vitest';
import { InvalidError, NotFoundError, toStatus } from '../../api/index.js';
import { errorFromResponse, HubUnreachableError } from '../client/errors.js';
import { UsageError } from '../errors.js';
import { ManifestError } from '../manifests/index.js';
import { formatError } from './index.js';

describe('formatError', () => {
  it('prints a NotFound Status body like kubectl', () => {
    const body = JSON.stringify(toStatus(new NotFoundError('deployments.apps', 'x')));
    const err = errorFromResponse(404, body);
    expect(err.code).toBe('NotFound');
    expect(formatError(err)).toBe('Error from server (NotFound): deployments.apps "x" not found');
  });
  it('lists the field causes of Invalid once, one per line', () => {
    const status = toStatus(
      new InvalidError('Deployment', 'hello', [
        { field: 'spec.replicas', message: 'must be >= 0' },
        { field: 'spec.template.spec.containers[0].foo', message: 'field not supported by Edgeplane (unknown field)' },
      ]),
    );
    const err = errorFromResponse(422, JSON.stringify(status));
    expect(formatError(err)).toBe(
      [
        'Error from server (Invalid): Deployment "hello" is invalid:',
        '* spec.replicas: must be >= 0',
        '* spec.template.spec.containers[0].foo: field not supported by Edgeplane (unknown field)',
      ].join('\n'),
    );
  });
  it('keeps a non-Status body as the message', () => {
    expect(formatError(errorFromResponse(502, '<html>bad gateway</html>'))).toBe(
      'Error from server (InternalError): HTTP 502: <html>bad gateway</html>',
    );
  });
  it('local errors print as error: …, usage errors with a hint', () => {
    expect(formatError(new HubUnreachableError('http://h:1', 'connect ECONNREFUSED'))).toBe(
      'error: cannot reach the hub at http://h:1: connect ECONNREFUSED',
    );
    expect(formatError(errorFromResponse(401, ''))).toBe(
      'error: the hub refused the token (401 Unauthorized): check --token-file / EDGE_TOKEN / the config file',
    );
    expect(formatError(new UsageError('bad', 'edgectl get --help'))).toBe(
      "error: bad\nSee 'edgectl get --help' for usage.",
    );
    expect(
      formatError(
        new ManifestError('error validating "a.yaml" (document 1, Pod "p")', [
          { field: 'spec.containers', message: 'Required value' },
        ]),
      ),
    ).toBe('error: error validating "a.yaml" (document 1, Pod "p")\n* spec.containers: Required value');
  });
});

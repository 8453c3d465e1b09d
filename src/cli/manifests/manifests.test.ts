import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BLOB_PATH, hubImageRef } from '../../api/index.js';
import { EdgeClient } from '../client/index.js';
import {
  loadManifests,
  localDigest,
  localWasmPath,
  parseManifests,
  rewriteLocalImages,
  validateManifest,
  type ValidManifest,
} from './index.js';

const deployment = (image: string, name = 'hello'): string => `
apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}}
spec:
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      containers:
      - name: app
        image: ${image}
`;

const noStdin = { readStdin: (): Promise<string> => Promise.resolve('') };

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edgectl-manifests-'));
});

describe('loading', () => {
  it('splits multi-document YAML and skips empty documents', () => {
    const docs = parseManifests(
      `---\napiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\n# only a comment\n---\n${deployment('x')}`,
      'm.yaml',
      '/d',
    );
    expect(docs.map((d) => [d.document, (d.raw as { kind: string }).kind])).toEqual([
      [1, 'Namespace'],
      [3, 'Deployment'],
    ]);
  });
  it('names the file and line of a YAML error', () => {
    expect(() => parseManifests('apiVersion: v1\nkind: Pod\nmetadata:\n  name: [unclosed\n', 'bad.yaml', '/d')).toThrow(
      /^error parsing bad\.yaml: line \d+: /,
    );
    try {
      parseManifests('a: 1\nb: 2\n  c: 3\n', 'bad.yaml', '/d');
    } catch (err) {
      expect((err as Error).message).toMatch(/^error parsing bad\.yaml: line 2: Nested mappings/);
    }
  });
  it('reads a directory (*.yaml, *.yml, *.json) in name order, flattening kind: List', async () => {
    const d = join(dir, 'many');
    await mkdir(d);
    await writeFile(join(d, 'b.yml'), deployment('x', 'b'));
    await writeFile(
      join(d, 'a.json'),
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'List',
        items: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'a' } }],
      }),
    );
    await writeFile(join(d, 'notes.txt'), 'ignored');
    const docs = await loadManifests(['many'], { cwd: dir, ...noStdin });
    expect(docs.map((m) => m.source)).toEqual([join('many', 'a.json'), join('many', 'b.yml')]);
    const stdin = await loadManifests(['-'], { cwd: dir, readStdin: () => Promise.resolve(deployment('y')) });
    expect(stdin[0]?.source).toBe('<stdin>');
    await expect(loadManifests(['missing.yaml'], { cwd: dir, ...noStdin })).rejects.toThrow(
      'the path "missing.yaml" does not exist',
    );
  });
});

describe('validation', () => {
  it('names file, document, kind/name and field path', () => {
    const [m] = parseManifests(
      deployment('x').replace(
        '      - name: app',
        '      - name: app\n        imagePullPolicy: Sometimes\n        bogus: 1',
      ),
      'app.yaml',
      '/d',
    );
    try {
      validateManifest(m!);
      expect.unreachable();
    } catch (err) {
      const e = err as { message: string; causes: { field: string }[] };
      expect(e.message).toBe('error validating "app.yaml" (document 1, Deployment "hello")');
      expect(e.causes.map((c) => c.field).sort()).toEqual([
        'spec.template.spec.containers[0].bogus',
        'spec.template.spec.containers[0].imagePullPolicy',
      ]);
    }
    const [unknown] = parseManifests('apiVersion: v1\nkind: Widget\nmetadata: {name: w}\n', 'w.yaml', '/d');
    expect(() => validateManifest(unknown!)).toThrow(
      /error validating "w.yaml" \(document 1, Widget "w"\): no kind "Widget"/,
    );
  });
});

describe('local Wasm images', () => {
  let server: ReturnType<typeof createServer>;
  let url: string;
  const uploads: string[] = [];
  beforeAll(async () => {
    // Only the blob endpoint of the content store contract (src/api/content.ts).
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (
          req.method !== 'POST' ||
          req.url !== BLOB_PATH ||
          req.headers['content-type'] !== 'application/octet-stream'
        ) {
          res.writeHead(404).end();
          return;
        }
        const body = Buffer.concat(chunks);
        const digest = `sha256:${createHash('sha256').update(body).digest('hex')}`;
        uploads.push(digest);
        res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ digest, size: body.length }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('uploads a path relative to the manifest once and rewrites the image to the hub reference', async () => {
    const app = join(dir, 'app');
    await mkdir(join(app, 'dist'), { recursive: true });
    const bytes = Buffer.from('\0asm fake component');
    await writeFile(join(app, 'dist', 'hello.wasm'), bytes);
    await writeFile(
      join(app, 'app.yaml'),
      `${deployment('./dist/hello.wasm')}---\n${deployment('dist/hello.wasm', 'again')}---\n${deployment('ghcr.io/acme/other.wasm', 'remote')}`,
    );
    // Loaded from another cwd: the path resolves against the manifest's directory.
    const items: ValidManifest[] = (await loadManifests([join('app', 'app.yaml')], { cwd: dir, ...noStdin })).map(
      validateManifest,
    );
    const client = new EdgeClient({ server: url });
    const n = await rewriteLocalImages(items, (p) => client.uploadBlob(p));
    await client.close();
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    expect(n).toBe(1);
    expect(uploads).toEqual([digest]);
    const image = (i: number): string =>
      (items[i]?.object.spec as { template: { spec: { containers: { image: string }[] } } }).template.spec
        .containers[0]!.image;
    expect(image(0)).toBe(hubImageRef('hello.wasm', digest));
    expect(image(1)).toBe(hubImageRef('hello.wasm', digest));
    expect(image(2)).toBe('ghcr.io/acme/other.wasm');
    // A dry run's digest, hashed here, is the one the upload answered.
    expect(await localDigest(join(app, 'dist', 'hello.wasm'))).toEqual({ digest });
  });

  it('takes ~/ as the home directory', () => {
    expect(localWasmPath('~/apps/x.wasm', '/elsewhere')).toEqual({
      path: join(homedir(), 'apps', 'x.wasm'),
      explicit: true,
    });
  });

  it('a missing local file is an error naming the path and the manifest, before any upload', async () => {
    const before = uploads.length;
    const items = parseManifests(deployment('./dist/missing.wasm'), 'app.yaml', join(dir, 'app')).map(validateManifest);
    await expect(rewriteLocalImages(items, () => Promise.resolve({ digest: 'never' }))).rejects.toThrow(
      `image "./dist/missing.wasm" of container "app" in "app.yaml" (document 1, Deployment "hello"): no such file ${join(dir, 'app', 'dist', 'missing.wasm')}`,
    );
    expect(uploads.length).toBe(before);
    // One of this repository's examples not built yet: the message says how to build it.
    const example = join(dir, 'examples', 'wasm-apps', 'hello-c');
    const unbuilt = parseManifests(deployment('./dist/hello-c.wasm'), 'hello-c.yaml', example).map(validateManifest);
    await expect(rewriteLocalImages(unbuilt, () => Promise.resolve({ digest: 'never' }))).rejects.toThrow(
      `no such file ${join(example, 'dist', 'hello-c.wasm')} (an example component not built yet: \`npm run build:examples\`)`,
    );
  });
});

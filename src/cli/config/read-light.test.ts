/**
 * The light config reader against the full one: for every text, either the light reader declines
 * (undefined) or it gives exactly what `yaml.parse` + the zod schema give; a text the schema refuses
 * is never accepted by the light reader.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { EdgeConfig } from './file.js';
import { parseSimpleYaml } from './light-yaml.js';
import { readConfigLight, readConfigShape } from './read-light.js';

const full: EdgeConfig = {
  apiVersion: 'v1',
  kind: 'Config',
  clusters: [
    { name: 'edge', cluster: { server: 'https://127.0.0.1:7400', 'certificate-authority-data': 'LS0tLS1CRUdJTg==' } },
    { name: 'lab', cluster: { server: 'http://10.0.0.5:7400', 'insecure-skip-tls-verify': true } },
  ],
  users: [
    { name: 'admin', user: { token: 'edge.0123abcd:5f5e1a' } },
    { name: 'num', user: { token: '1234567' } },
  ],
  contexts: [
    { name: 'edge', context: { cluster: 'edge', user: 'admin', namespace: 'demo' } },
    { name: 'lab', context: { cluster: 'lab' } },
  ],
  'current-context': 'edge',
  preferences: {},
};

/** Texts in the shapes that occur: edgectl's own writer, kubectl's layout, flow style, hand-written. */
const ACCEPTED: Record<string, string> = {
  'edgectl saveConfig': stringify(full, { indentSeq: false }),
  'yaml defaults': stringify(full),
  'flow style (bench)': [
    'apiVersion: v1',
    'kind: Config',
    'clusters: [{name: bench, cluster: {server: "http://127.0.0.1:1234"}}]',
    "users: [{name: bench, user: {token: 'a''b'}}]",
    'contexts: [{name: bench, context: {cluster: bench, user: bench}}]',
    'current-context: bench',
    '',
  ].join('\n'),
  'kubectl layout with comments': [
    '---',
    '# written by hand',
    'apiVersion: v1',
    'clusters:',
    '- cluster:',
    '    server: https://hub.local:7400   # the hub',
    '    insecure-skip-tls-verify: false',
    '  name: hub',
    'contexts:',
    '  - context:',
    '      cluster: hub',
    '      namespace: "team-a"',
    '      user: me',
    '    name: hub',
    'current-context: hub',
    'kind: Config',
    'preferences: {}',
    'users:',
    '- name: me',
    '  user:',
    '    token: "x#y \\"quoted\\""',
    '',
  ].join('\n'),
  empty: '',
  'only comments': '# nothing yet\n',
  'nulls and numbers': 'apiVersion: v1\nkind: Config\nextensions: [1, 2.5, -3, true, ~, null]\nclusters: []\n',
};

/** Texts outside the subset: the light reader must decline them. */
const DECLINED: Record<string, string> = {
  anchors: 'clusters:\n- &c {name: a, cluster: {server: s}}\nusers: []\nextra: *c\n',
  'block scalar': 'users:\n- name: a\n  user:\n    token: |\n      abc\n',
  'multi-line plain': 'current-context: a\n  b\n',
  tag: 'kind: !!str Config\n',
  'two documents': 'kind: Config\n---\nkind: Config\n',
  'hex number': 'kind: 0x1F\n',
  'multi-line flow': 'clusters: [\n  {name: a}]\n',
  'unknown escape': 'kind: "\\x41"\n',
  tab: 'kind:\tConfig\n',
};

/** Valid YAML that the schema refuses: never accepted by the light reader. */
const REFUSED: Record<string, string> = {
  'server missing': 'clusters:\n- name: a\n  cluster: {}\n',
  'empty name': 'users:\n- name: ""\n  user: {}\n',
  'token a number': 'users:\n- name: a\n  user: {token: 12}\n',
  'clusters null': 'clusters: null\n',
  'a list at the top': '- a\n- b\n',
  'skip-tls a string': 'clusters:\n- name: a\n  cluster: {server: s, insecure-skip-tls-verify: "yes"}\n',
  'context without cluster': 'contexts:\n- name: a\n  context: {user: u}\n',
  'current-context a number': 'current-context: 3\n',
  'kind null': 'kind:\n',
};

/** What the full reader gives: the parsed, schema-checked config, or undefined when refused. */
function fullRead(text: string): EdgeConfig | undefined {
  const r = EdgeConfig.safeParse(parse(text) ?? {});
  return r.success ? r.data : undefined;
}

describe('light config reader', () => {
  it.each(Object.entries(ACCEPTED))('%s: parsed exactly as yaml + zod', (_, text) => {
    const light = parseSimpleYaml(text);
    expect(light).toBeDefined();
    expect(light?.value).toEqual(parse(text));
    expect(readConfigShape(light?.value)).toEqual(fullRead(text));
    expect(fullRead(text)).toBeDefined();
  });

  it.each(Object.entries(DECLINED))('%s: declined (the full parser decides)', (_, text) => {
    expect(parseSimpleYaml(text)).toBeUndefined();
  });

  it.each(Object.entries(REFUSED))('%s: refused by the schema, so not accepted', (_, text) => {
    expect(fullRead(text)).toBeUndefined();
    const light = parseSimpleYaml(text);
    if (light) expect(light.value).toEqual(parse(text));
    expect(light === undefined || readConfigShape(light.value) === undefined).toBe(true);
  });

  it('agrees with yaml on generated configs in both of yaml writer styles', () => {
    // Deterministic variety: names, tokens and servers with the characters that need quoting.
    const pieces = [
      'a',
      'x-1',
      '007',
      'true',
      'null',
      'has space',
      'colon: inside',
      'hash #',
      "it's",
      'ü',
      '1e3',
      '-x',
    ];
    let parsed = 0;
    for (let i = 0; i < pieces.length * 3; i++) {
      const p = (k: number): string => pieces[(i * 7 + k) % pieces.length] as string;
      const config = {
        apiVersion: 'v1',
        clusters: [{ name: p(0), cluster: { server: `https://${p(1)}:7400` } }],
        users: [{ name: p(2), user: { token: p(3) } }],
        contexts: [{ name: p(4), context: { cluster: p(0), namespace: p(5) } }],
        'current-context': p(4),
      };
      for (const text of [stringify(config), stringify(config, { indentSeq: false })]) {
        const light = parseSimpleYaml(text);
        if (light === undefined) continue;
        parsed++;
        expect(light.value, text).toEqual(parse(text));
      }
    }
    // Most of them lie within the subset (the rest were declined, never misread).
    expect(parsed).toBeGreaterThan(pieces.length * 3);
  });
});

describe('readConfigLight', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'edgectl-light-'));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('reads a file, treats a missing one as empty, and leaves an odd one to loadConfig', async () => {
    const file = join(dir, 'config');
    await writeFile(file, stringify(full, { indentSeq: false }));
    expect(readConfigLight(file)?.config).toEqual(fullRead(stringify(full)));
    expect(readConfigLight(join(dir, 'absent'))?.config).toEqual({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [],
      users: [],
      contexts: [],
    });
    await writeFile(file, DECLINED['anchors'] as string);
    expect(readConfigLight(file)).toBeUndefined();
  });
});

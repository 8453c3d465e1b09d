import { describe, expect, it } from 'vitest';
import { JsonPathTemplate } from './index.js';

const LIST = {
  kind: 'List',
  items: [
    {
      metadata: { name: 'a', labels: { 'app.kubernetes.io/name': 'web' } },
      status: { conditions: [{ type: 'Ready', status: 'True' }], n: 3 },
    },
    { metadata: { name: 'b', labels: {} }, status: { conditions: [{ type: 'Ready', status: 'False' }], n: 10 } },
  ],
};

const run = (t: string, data: unknown = LIST): string => new JsonPathTemplate(t).execute(data);

describe('kubectl JSONPath templates', () => {
  it.each([
    ['{.items[*].metadata.name}', 'a b'],
    ['{.items[0].metadata.name}', 'a'],
    ['{.items[-1:].metadata.name}', 'b'],
    ['{.items[0:1].metadata.name}', 'a'],
    ['{.kind}', 'List'],
    ['kind={.kind}!', 'kind=List!'],
    ['{range .items[*]}{.metadata.name}{"\\t"}{.status.n}{"\\n"}{end}', 'a\t3\nb\t10\n'],
    ['{.items[?(@.status.n>5)].metadata.name}', 'b'],
    ['{.items[?(@.status.conditions[0].status=="True")].metadata.name}', 'a'],
    ["{.items[0].metadata.labels['app.kubernetes.io/name']}", 'web'],
    ['{.items[0].metadata.labels.app\\.kubernetes\\.io/name}', 'web'],
    ['{..n}', '3 10'],
    ['{.items[0].status.conditions[0]}', '{"status":"True","type":"Ready"}'],
    ['{.items[*].metadata.name,.kind}', 'a b List'],
    ['{.nothing}', ''],
    ['{.items[7].metadata.name}', ''],
    ['{range .items}[{.metadata.name}]{end}', '[a][b]'],
  ])('%s', (t, want) => expect(run(t)).toBe(want));

  it('prints every selected value as JSON for jsonpath-as-json', () => {
    expect(new JsonPathTemplate('{.items[*].status.n}').executeAsJson(LIST)).toBe('[\n    3,\n    10\n]\n');
  });

  it.each(['{.items[*]', '{range .items[*]}{.x}', '{end}', '{.items[x]}'])('refuses %s', (t) =>
    expect(() => new JsonPathTemplate(t)).toThrow(/error parsing jsonpath/),
  );
});

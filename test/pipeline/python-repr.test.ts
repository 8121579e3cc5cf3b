/**
 * b2luigi digests: Python's str(value) reproduced exactly, checked against
 * b2luigi's own verified examples and against python3 itself on a table of
 * values (strings from the hostile corpus among them).
 */
import { describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { beforeEach } from '@jest/globals';
import { param } from '../../src/pipeline/params.js';
import { outputPath } from '../../src/pipeline/paths.js';
import { Task } from '../../src/pipeline/task.js';
import { freshPipelineDir } from './fixtures.js';
import { b2luigiDigest, pythonFloatRepr, pythonRepr, pythonStr } from '../../src/pipeline/python-repr.js';
import { hostileValues } from '../helpers/hostile-values.js';

const md5 = (text: string): string => createHash('md5').update(text, 'utf8').digest('hex');

describe("b2luigi's verified examples (b2luigi tests/core/test_parameter.py)", () => {
  test('a dict of a string and an int', () => {
    expect(b2luigiDigest({ key1: 'value1', key2: 12345 }, 'object')).toBe('hashed_df6221c515cbb93735f9478cb05a00e4');
  });
  test('a plain Python list, as serialize_hashed is called on it directly', () => {
    expect(pythonRepr([1, 'test', 456, { hello: 'bye' }], { sequences: 'list' })).toBe("[1, 'test', 456, {'hello': 'bye'}]");
    expect(b2luigiDigest([1, 'test', 456, { hello: 'bye' }], 'list', { sequences: 'list' })).toBe('hashed_7816c14282fd03e3dc4e398f28aa5a30');
  });
  test("a ListParameter's value in a task is a tuple", () => {
    expect(b2luigiDigest(['Some', 'strange', 'items', 'with', 'bad / signs'], 'list')).toBe('hashed_08928069d368e4a0f8ac02a0193e443b');
  });
});

describe("a task's output path with hashed: 'b2luigi'", () => {
  beforeEach(async () => {
    await freshPipelineDir();
  });
  test('is the folder b2luigi makes for the same ListParameter value', () => {
    class Strange extends Task.with({ my_parameter: param.list({ of: param.string(), hashed: 'b2luigi' }) }) {}
    const task = new Strange({ my_parameter: ['Some', 'strange', 'items', 'with', 'bad / signs'] });
    expect(path.basename(path.dirname(outputPath(task, 'out.txt')))).toBe('my_parameter=hashed_08928069d368e4a0f8ac02a0193e443b');
  });
  test("differs from b2's own digest (hashed: true), which hashes the canonical JSON", () => {
    class Own extends Task.with({ p: param.list({ hashed: true }) }) {}
    expect(path.basename(path.dirname(outputPath(new Own({ p: ['a', 1] }), 'o')))).toBe(`p=hashed_${md5('["a",1]')}`);
  });
});

describe('repr details', () => {
  test.each([
    [['a'], "('a',)"],
    [[], '()'],
    [[[1, 2], ['x']], "((1, 2), ('x',))"],
    [[true, false, null], '(True, False, None)'],
    [["it's"], `("it's",)`],
    [[`it's "x"`], `('it\\'s "x"',)`],
    [['a\\b\n\t\r\x00\x7f\u00a0é\u2028😀'], "('a\\\\b\\n\\t\\r\\x00\\x7f\\xa0é\\u2028😀',)"],
  ])('%j', (value, text) => {
    expect(pythonRepr(value)).toBe(text);
  });
  test.each([
    [1.5, '1.5'], [1e16, '1e+16'], [1.5e16, '1.5e+16'], [1e-5, '1e-05'], [0.0001, '0.0001'], [123456789012345.6, '123456789012345.6'],
    [-0, '-0.0'], [0, '0.0'], [Infinity, 'inf'], [-Infinity, '-inf'], [NaN, 'nan'], [5e-324, '5e-324'], [2, '2.0'], [1e300, '1e+300'], [0.1, '0.1'],
  ])('float %p', (value, text) => {
    expect(pythonFloatRepr(value)).toBe(text);
  });
  test('top-level str(): a string is itself, a float parameter a float, a bool True/False', () => {
    expect(pythonStr('a/b', 'string')).toBe('a/b');
    expect(pythonStr(3, 'float')).toBe('3.0');
    expect(pythonStr(3, 'int')).toBe('3');
    expect(pythonStr(true, 'bool')).toBe('True');
  });
});

// Floats go to Python tagged, so a whole-number float stays a float there too.
type Tagged = { float: number } | string | number | boolean | null | Tagged[] | { [key: string]: Tagged };

const PYTHON = String.raw`
import json, sys, hashlib
def thaw(v):
    if isinstance(v, dict):
        if set(v) == {"__float__"}:
            return float(v["__float__"])
        return {k: thaw(x) for k, x in v.items()}
    if isinstance(v, list):
        return tuple(thaw(x) for x in v)
    return v
out = []
for kind, v in json.load(sys.stdin):
    value = thaw(v)
    if kind == "float":
        value = float(value)
    text = str(value)
    out.append([text, hashlib.md5(text.encode("utf-8", "surrogatepass")).hexdigest()])
json.dump(out, sys.stdout)
`;

describe('against python3', () => {
  const strings = hostileValues(400).filter((s) => !/[\ud800-\udfff]/.test(s));
  const floats = [0.5, 1e16, 1e-7, 3.14159, -2.5e-10, 1e22, 123.456, 7.0e15];
  const cases: { kind: string; value: unknown; tagged: Tagged }[] = [
    ...strings.map((s) => ({ kind: 'list', value: [s, 1, s], tagged: [s, 1, s] })),
    ...strings.slice(0, 100).map((s) => ({ kind: 'object', value: { [s]: s, n: -3 }, tagged: { [s]: s, n: -3 } })),
    ...strings.slice(0, 100).map((s) => ({ kind: 'string', value: s, tagged: s })),
    // In a list a whole number is an int (JSON cannot tell 7e15 from 7000000000000000): only fractional or huge floats here.
    ...floats.filter((f) => !Number.isSafeInteger(f)).map((f) => ({ kind: 'list', value: [f], tagged: [{ __float__: f } as unknown as Tagged] })),
    ...floats.map((f) => ({ kind: 'float', value: f, tagged: { __float__: f } as unknown as Tagged })),
    { kind: 'float', value: 2, tagged: { __float__: 2 } as unknown as Tagged },
    { kind: 'list', value: [[1, [2, ['x']]], { a: [true, null] }], tagged: [[1, [2, ['x']]], { a: [true, null] }] },
    { kind: 'object', value: { outer: { inner: ['a', 'b'], f: false } }, tagged: { outer: { inner: ['a', 'b'], f: false } } },
    { kind: 'bool', value: false, tagged: false },
    { kind: 'int', value: -42, tagged: -42 },
  ];

  test(`str(value) and its md5 agree with python3 for ${cases.length} values`, () => {
    const python = spawnSync('python3', ['-c', PYTHON], { input: JSON.stringify(cases.map((c) => [c.kind, c.tagged])), encoding: 'utf8' });
    expect(python.stderr).toBe('');
    const expected = JSON.parse(python.stdout) as [string, string][];
    expect(expected).toHaveLength(cases.length);
    const mismatches = cases.flatMap((c, i) => {
      const text = pythonStr(c.value, c.kind);
      const [pyText, pyMd5] = expected[i]!;
      return text === pyText && b2luigiDigest(c.value, c.kind) === `hashed_${pyMd5}` && md5(text) === pyMd5 ? [] : [{ value: c.value, ours: text, python: pyText }];
    });
    expect(mismatches).toEqual([]);
  });
});

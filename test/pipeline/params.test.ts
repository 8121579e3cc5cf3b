import { describe, expect, it } from '@jest/globals';
import { canonicalJson, param } from '../../src/pipeline/params.js';

describe('parameter types', () => {
  it('parses command-line text by type', () => {
    expect(param.int().parse('42')).toBe(42);
    expect(param.int().parse('-3')).toBe(-3);
    expect(param.float().parse('2.5')).toBe(2.5);
    expect(param.string().parse(' a b ')).toBe(' a b ');
    expect(param.bool().parse('yes')).toBe(true);
    expect(param.bool().parse('False')).toBe(false);
    expect(param.date().parse('2024-02-29').toISOString()).toBe('2024-02-29T00:00:00.000Z');
    expect(param.choice(['mc', 'data']).parse('data')).toBe('data');
    expect(param.list({ of: param.int() }).parse('1,2,3')).toEqual([1, 2, 3]);
    expect(param.list({ of: param.int() }).parse('[4, 5]')).toEqual([4, 5]);
    expect(param.object().parse('{"b":1,"a":2}')).toEqual({ a: 2, b: 1 });
  });

  it('rejects values of the wrong type with the expected type in the message', () => {
    expect(() => param.int().parse('4.5')).toThrow('expected an integer, got "4.5"');
    expect(() => param.int().normalize('4')).toThrow('expected an integer');
    expect(() => param.float().parse('abc')).toThrow('expected a number');
    expect(() => param.bool().parse('maybe')).toThrow('expected true or false');
    expect(() => param.date().parse('2023-02-29')).toThrow('expected a date (YYYY-MM-DD)');
    expect(() => param.choice(['mc', 'data']).parse('sim')).toThrow('expected one of "mc", "data", got "sim"');
    expect(() => param.list({ of: param.int() }).parse('1,x')).toThrow('expected an integer, got "x"');
    expect(() => param.object().parse('[1]')).toThrow('expected an object');
  });

  it('serialises canonically, whatever the key order', () => {
    expect(param.object().serialize(param.object().normalize({ b: 1, a: { d: 2, c: 3 } }))).toBe('{"a":{"c":3,"d":2},"b":1}');
    expect(canonicalJson({ z: [1, { y: 2, x: 1 }], a: null })).toBe('{"a":null,"z":[1,{"x":1,"y":2}]}');
    expect(param.date().serialize(param.date().parse('2021-01-05'))).toBe('2021-01-05');
    expect(param.bool().serialize(true)).toBe('true');
  });

  it('hashes path parameters in output paths by default', () => {
    expect(param.path().options.hashed).toBe(true);
    expect(param.path({ hashed: false }).options.hashed).toBe(false);
  });
});

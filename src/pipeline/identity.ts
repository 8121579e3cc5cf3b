/**
 * Task ids: family + a summary of the first parameter values + a hash of all
 * significant parameters. Deterministic (canonical JSON, md5), so the runner,
 * a pool worker and a batch job on another machine agree on every id.
 */
import { createHash } from 'node:crypto';
import { canonicalJson, isSignificant, type ParamSpec } from './params.js';

const SUMMARY_PARAMS = 3;
const SUMMARY_LENGTH = 16;
const HASH_LENGTH = 10;

export const computeTaskId = (family: string, spec: ParamSpec, values: Readonly<Record<string, unknown>>): string => {
  const significant: Record<string, unknown> = {};
  for (const [name, def] of Object.entries(spec)) {
    if (isSignificant(def)) significant[name] = def.toJSON(values[name] as never);
  }
  const names = Object.keys(significant).sort();
  const hash = createHash('md5').update(canonicalJson(significant)).digest('hex').slice(0, HASH_LENGTH);
  const summary = names
    .slice(0, SUMMARY_PARAMS)
    .map((name) => {
      const value = significant[name];
      const text = typeof value === 'string' ? value : canonicalJson(value);
      return text.slice(0, SUMMARY_LENGTH).replace(/\W+/g, '');
    })
    .join('_');
  return summary ? `${family}_${summary}_${hash}` : `${family}__${hash}`;
};

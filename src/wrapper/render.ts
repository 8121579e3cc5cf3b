/**
 * `{{name}}` templates, as in templates/. Values are inserted as given: the
 * caller quotes them for the target language. A placeholder without a value
 * is an error rather than an empty string, so a template and its caller cannot
 * silently drift apart.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ownFile } from '../util/own-root.js';

const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

export const renderTemplate = (template: string, values: Readonly<Record<string, string>>): string =>
  template.replace(PLACEHOLDER, (_match, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`template placeholder {{${name}}} has no value`);
    return value;
  });

export const templatesDir = (): string => ownFile('templates');

const cache = new Map<string, string>();

/** Read a template once per process. */
export const loadTemplate = (name: string): string => {
  let text = cache.get(name);
  if (text === undefined) {
    text = readFileSync(path.join(templatesDir(), name), 'utf8');
    cache.set(name, text);
  }
  return text;
};

/** `--setting key=value` on the command line. */
import { UserError } from '../errors.js';
import { DEPRECATED_KEYS, SETTINGS_BY_KEY } from './table.js';
import { parseSettingText } from './values.js';

/**
 * Splits at the first "=", so values may contain "=". The value is JSON when
 * it parses (numbers, true, lists, objects), else the text as typed; for
 * settings that want text, text that merely looks like JSON stays text.
 */
export const parseSettingAssignment = (assignment: string): [key: string, value: unknown] => {
  const at = assignment.indexOf('=');
  const key = at === -1 ? '' : assignment.slice(0, at).trim();
  if (at === -1 || key === '') {
    throw new UserError('bad-setting', `--setting expects KEY=VALUE, got ${JSON.stringify(assignment)}.`, {
      hint: 'For example --setting result_dir=/data/results or --setting \'env={"LANG": "C"}\'.',
    });
  }
  const definition = SETTINGS_BY_KEY.get(DEPRECATED_KEYS.get(key) ?? key);
  return [key, parseSettingText(definition, assignment.slice(at + 1))];
};

/**
 * JSON that can sit inside a <script> element: the HTML parser ends a script
 * at "</script" and changes mode at "<!--", and old JavaScript parsers end a
 * line at U+2028/U+2029. Each becomes a \u escape, which JSON.parse reads back
 * as the same character.
 */
export const jsonForScript = (value: unknown): string =>
  JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');

/** Text for HTML element content and quoted attribute values. */
export const escapeHtml = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

/** Types for the ClassAd subset the HTCondor simulator reads (classad.mjs); only what tests use. */

/** A parsed expression; throws on a syntax error. */
export function parseExpr(text: string): unknown;

/** The value of a literal expression (`{t: 'str', v: 'x'}`, `{t: 'int', v: 3}`, ...), undefined for anything else. */
export function literalOf(ast: unknown): { readonly t: string; readonly v?: unknown } | undefined;

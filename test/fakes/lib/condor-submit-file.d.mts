/** Types for the HTCondor submit-description reader (condor-submit-file.mjs). */

export class SubmitFileError extends Error {
  readonly line: number;
}

/** Trim what C isspace() calls blank (ASCII only), as condor_submit does. */
export function trimBlanks(text: string): string;

export interface SubmittedProc {
  /** Each command's value after macro expansion, by lowercase key. */
  readonly settings: Readonly<Record<string, string>>;
  /** Each command's value as read, before macro expansion, by lowercase key. */
  readonly raw: Readonly<Record<string, string>>;
  /** Each custom attribute's expression text after macro expansion, by name as written. */
  readonly attrs: Readonly<Record<string, string>>;
}

/** What condor_submit reads from a description, one entry per proc. Throws SubmitFileError on a parse error. */
export function readSubmitDescription(text: string, options?: { cwd?: string; cluster?: number; env?: Record<string, string> }): SubmittedProc[];

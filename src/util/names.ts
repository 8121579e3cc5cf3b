/** A parameter or option name as a command-line flag: `n_events` and `nEvents` both give `n-events`. */
export const kebab = (name: string): string => name.replace(/_/g, '-').replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();

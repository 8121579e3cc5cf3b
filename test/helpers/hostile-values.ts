/**
 * A corpus of hostile values for the farm-boundary tests: strings that would
 * run a command, inject a batch option or bend a path if any reader on their
 * way (bash, sbatch's #SBATCH tokenizer, qsub's #$ lines and path
 * expansion, condor_submit's line joining and macros, bsub's %J/%I) took them
 * for anything but data.
 *
 * Every value that could run a command names the canary file instead of a
 * real target: `withCanary(dir)` gives the corpus with the canary's path put
 * in, and a test fails when that file ever exists.
 *
 * Deterministic: the same values in the same order on every run, so a
 * failure names a value that can be tried again by hand.
 */
import path from 'node:path';

const CANARY = '@CANARY@';

/** Hand-picked values, each aimed at one reader. */
const SEEDS: readonly string[] = [
  // bash
  `$(touch ${CANARY})`,
  `\`touch ${CANARY}\``,
  `; touch ${CANARY}`,
  `&& touch ${CANARY}`,
  `| touch ${CANARY}`,
  `' ; touch ${CANARY} ; '`,
  `" ; touch ${CANARY} ; "`,
  `'"'"'; touch ${CANARY}; '"'"'`,
  `$'\\x27'; touch ${CANARY}`,
  `\n touch ${CANARY}\n`,
  `\r\ntouch ${CANARY}`,
  `>${CANARY}`,
  `<(touch ${CANARY})`,
  `\${IFS}touch\${IFS}${CANARY}`,
  `$((1+1))`,
  `!!`,
  `~root`,
  `*`,
  `{a,b}`,
  `-n`,
  `--`,
  `-e x`,
  // sbatch's #SBATCH tokenizer: backslash escapes even inside single quotes
  `x\\' --array=1-3 #`,
  `x\\' --export=ALL,NODE_OPTIONS=--require=${CANARY} #`,
  `x\\\\' --wrap='touch ${CANARY}' #`,
  `x" --array=1-3 #`,
  `--array=1-3`,
  `x\\`,
  `x\\\\`,
  `\\'`,
  // Slurm filename patterns
  `%j %x %A %a %u %%`,
  `%`,
  // Grid Engine: # truncates #$ lines, $VAR is expanded in paths
  `a#b`,
  `#$ -t 1-3`,
  `$HOME`,
  `$JOB_ID`,
  `$TASK_ID`,
  `\${HOME}`,
  `a -t 1-3`,
  // HTCondor: a trailing backslash joins lines, $(macro) is expanded, blanks trimmed
  `ends with backslash\\`,
  `$(DOLLAR)`,
  `$(Cluster)`,
  `$$(Name)`,
  `$ENV(HOME)`,
  `  leading and trailing blanks  `,
  `\tTab\t`,
  `queue 3`,
  `x\nqueue 3\n`,
  `+Injected = "yes"`,
  `"quoted"`,
  // LSF: %J and %I in -oo/-eo
  `%J`,
  `%I`,
  `%J_%I`,
  // generic
  ``,
  ` `,
  `'`,
  `"`,
  `\\`,
  `$`,
  `=`,
  `a=b`,
  `,`,
  `:`,
  `..`,
  `é ✓ 日本 🎉`,
  `\u00a0nbsp`,
  `\u202eright-to-left`,
];

// Characters the generated values are built from: the seeds' dangerous ones and a few plain ones.
const ALPHABET = [
  ...`'"\\\`$(){}[]<>|&;#%*?!~=,:+-. \t\n`,
  'a',
  'Z',
  '0',
  'é',
  '✓',
  '$(DOLLAR)',
  '%J',
  '--array=1-3',
  '#$',
  '#SBATCH',
  `touch ${CANARY}`,
];

/** A small, seeded generator (mulberry32): the same sequence on every run. */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The corpus with `@CANARY@` left in: the seeds, then `count - seeds`
 * random strings of 1 to 24 pieces from the alphabet, then seeds joined in
 * pairs. Values never contain NUL (no reader on the way can carry one).
 */
export function hostileValues(count = 3000, seed = 0xb2): string[] {
  const random = generator(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const values = [...SEEDS];
  while (values.length < count) {
    if (random() < 0.2) {
      values.push(pick(SEEDS) + pick(SEEDS));
      continue;
    }
    const pieces = 1 + Math.floor(random() * 24);
    let value = '';
    for (let i = 0; i < pieces; i++) value += pick(ALPHABET);
    values.push(value);
  }
  return values.slice(0, count);
}

/** The corpus with the canary's absolute path put in. */
export function withCanary(canary: string, count?: number, seed?: number): string[] {
  if (!path.isAbsolute(canary)) throw new Error(`the canary must be an absolute path, got ${canary}`);
  return hostileValues(count, seed).map((value) => value.split(CANARY).join(canary));
}

/** The values that are safe to use as one path segment (no `/`, not `.` or `..`, not empty). */
export const asPathSegments = (values: readonly string[]): string[] =>
  values.filter((value) => value !== '' && value !== '.' && value !== '..' && !value.includes('/') && Buffer.byteLength(value) <= 200);

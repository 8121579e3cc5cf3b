/**
 * Loading a user's pipeline file (.ts/.mts/.cts/.js/.mjs/.cjs, one file or
 * many) without a build step by the user. esbuild bundles the user's own
 * sources into one ESM file, leaving packages external, and the bundle is
 * cached next to the pipeline keyed by the size and mtime of every input: a
 * cache hit does not even load esbuild, and batch jobs import the bundle
 * natively.
 *
 * Every `import ... from 'b2-pipelines'` (or the older `'b2'`) is pinned to
 * this copy of b2, so classes the pipeline extends are the ones the CLI
 * checks against, wherever b2 and the pipeline are installed.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { UserError, errorMessage } from '../errors.js';
import { makeFolders } from '../util/files.js';
import { ownFile } from '../util/own-root.js';

const SOURCE_EXTENSIONS = /\.(ts|mts|cts|tsx|js|mjs|cjs|jsx)$/;
const OWN_ENTRY = ownFile('dist', 'index.js');

export interface LoadedPipeline {
  /** Absolute path of the pipeline file. */
  readonly file: string;
  readonly dir: string;
  /** The compiled bundle that workers import. */
  readonly bundle: string;
  readonly module: Readonly<Record<string, unknown>>;
}

interface Manifest {
  readonly bundle: string;
  readonly ownEntry: string;
  readonly inputs: Record<string, [number, number]>;
}

const cacheDirFor = (pipelineDir: string): string => {
  const preferred = path.join(pipelineDir, '.b2', 'build');
  try {
    makeFolders(preferred);
    return preferred;
  } catch {
    // Read-only checkout: fall back to a per-user temp folder.
    const fallback = path.join(os.tmpdir(), `b2-build-${os.userInfo().uid}`);
    makeFolders(fallback);
    return fallback;
  }
};

const stamp = (file: string): [number, number] | undefined => {
  try {
    const stats = statSync(file);
    return [stats.mtimeMs, stats.size];
  } catch {
    return undefined;
  }
};

const readManifest = (file: string): Manifest | undefined => {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Manifest;
  } catch {
    return undefined;
  }
};

const isFresh = (manifest: Manifest | undefined): manifest is Manifest => {
  if (!manifest || manifest.ownEntry !== OWN_ENTRY || !existsSync(manifest.bundle)) return false;
  return Object.entries(manifest.inputs).every(([file, [mtime, size]]) => {
    const now = stamp(file);
    return now !== undefined && now[0] === mtime && now[1] === size;
  });
};

/** Compile (or reuse) the bundle for a pipeline file; returns its absolute path. */
export const compilePipeline = async (file: string): Promise<string> => {
  const absolute = path.resolve(file);
  if (!existsSync(absolute)) {
    throw new UserError('pipeline-not-found', `Pipeline file ${absolute} does not exist.`, {
      hint: 'Give the path of a .ts or .js file that defines your tasks.',
    });
  }
  if (!SOURCE_EXTENSIONS.test(absolute)) {
    throw new UserError('pipeline-extension', `Cannot load ${absolute}: not a .ts, .mts, .cts, .js, .mjs or .cjs file.`);
  }
  const dir = path.dirname(absolute);
  const key = createHash('md5').update(absolute).digest('hex').slice(0, 10);
  const base = path.basename(absolute).replace(/\.[^.]+$/, '');
  const cacheDir = cacheDirFor(dir);
  const manifestFile = path.join(cacheDir, `${base}.${key}.json`);
  const cached = readManifest(manifestFile);
  if (isFresh(cached)) return cached.bundle;

  const esbuild = await import('esbuild');
  const outfile = path.join(cacheDir, `${base}.${key}.mjs`);
  const build = (banner: string | undefined) =>
    esbuild.build({
      entryPoints: [absolute],
      absWorkingDir: dir,
      bundle: true,
      packages: 'external',
      format: 'esm',
      platform: 'node',
      target: 'node20',
      // Class names are task families: never let the bundler rename them.
      keepNames: true,
      sourcemap: 'linked',
      metafile: true,
      write: false,
      outfile,
      logLevel: 'silent',
      ...(banner === undefined ? {} : { banner: { js: banner } }),
      plugins: [pinOwnPackage(), keepImportMeta()],
    });
  let result;
  try {
    result = await build(undefined);
    // CommonJS sources call require(), which an ES module lacks: give the bundle one.
    if (result.outputFiles.some((file) => file.path.endsWith('.mjs') && file.text.includes('Dynamic require of'))) {
      result = await build(`import { createRequire as __b2CreateRequire } from 'node:module';\nvar require = __b2CreateRequire(import.meta.url);`);
    }
  } catch (error) {
    throw compileError(absolute, error);
  }
  for (const output of result.outputFiles) {
    // Write-then-rename: a concurrent run never imports half a bundle.
    const temporary = `${output.path}.${process.pid}.tmp`;
    writeFileSync(temporary, output.contents);
    renameSync(temporary, output.path);
  }
  const inputs: Record<string, [number, number]> = {};
  for (const input of Object.keys(result.metafile.inputs)) {
    const inputPath = path.resolve(dir, input);
    const inputStamp = stamp(inputPath);
    if (inputStamp) inputs[inputPath] = inputStamp;
  }
  const manifest: Manifest = { bundle: outfile, ownEntry: OWN_ENTRY, inputs };
  writeFileSync(`${manifestFile}.${process.pid}.tmp`, JSON.stringify(manifest));
  renameSync(`${manifestFile}.${process.pid}.tmp`, manifestFile);
  return outfile;
};

/** Import a compiled bundle; errors thrown by the user's module become one readable message. */
export const importBundle = async (bundle: string, file: string): Promise<Record<string, unknown>> => {
  process.setSourceMapsEnabled(true);
  try {
    return commonJsExports((await import(pathToFileURL(bundle).href)) as Record<string, unknown>);
  } catch (error) {
    throw new UserError('pipeline-import', `${file} failed while loading: ${errorMessage(error)}${userFrame(error, file)}`, {
      hint: 'Fix the error in the pipeline module (it runs when the file is imported).',
      cause: error,
    });
  }
};

export const loadPipeline = async (file: string): Promise<LoadedPipeline> => {
  const absolute = path.resolve(file);
  const bundle = await compilePipeline(absolute);
  const module = await importBundle(bundle, absolute);
  return { file: absolute, dir: path.dirname(absolute), bundle, module };
};

/**
 * A CommonJS pipeline arrives as one default export holding `module.exports`:
 * its properties are the named exports, and its own `default` (if any) the default.
 */
const commonJsExports = (module: Record<string, unknown>): Record<string, unknown> => {
  const exported = module.default;
  const isPlainObject =
    typeof exported === 'object' && exported !== null && !Array.isArray(exported) && Object.getPrototypeOf(exported) === Object.prototype;
  if (!isPlainObject || Object.keys(module).length !== 1) return module;
  const { default: inner, ...named } = exported as Record<string, unknown>;
  return inner === undefined ? named : { ...named, default: inner };
};

/** The first stack frame inside the user's sources, as " (at file:line:col)". */
const userFrame = (error: unknown, file: string): string => {
  const stack = error instanceof Error ? error.stack ?? '' : '';
  const dir = path.dirname(file);
  for (const line of stack.split('\n').slice(1)) {
    const match = /\(?((?:file:\/\/)?\/[^()]+?):(\d+):(\d+)\)?\s*$/.exec(line.trim());
    if (!match) continue;
    const frameFile = match[1]!.startsWith('file://') ? fileURLToPath(match[1]!) : match[1]!;
    if (frameFile.startsWith(dir) && !frameFile.includes(`${path.sep}.b2${path.sep}`) && !frameFile.includes('node_modules')) {
      return ` (at ${path.relative(process.cwd(), frameFile) || frameFile}:${match[2]}:${match[3]})`;
    }
  }
  return '';
};

interface EsbuildMessage {
  text: string;
  location?: { file: string; line: number; column: number; lineText: string } | null;
}

const compileError = (file: string, error: unknown): UserError => {
  const messages = (error as { errors?: EsbuildMessage[] }).errors;
  if (!messages || messages.length === 0) {
    return new UserError('pipeline-compile', `Could not compile ${file}: ${errorMessage(error)}`);
  }
  const lines = messages.slice(0, 5).map((message) => {
    const where = message.location ? `${message.location.file}:${message.location.line}:${message.location.column + 1}: ` : '';
    const source = message.location?.lineText ? `\n      ${message.location.lineText.trim()}` : '';
    return `  ${where}${message.text}${source}`;
  });
  if (messages.length > 5) lines.push(`  ... and ${messages.length - 5} more`);
  return new UserError('pipeline-compile', `Could not compile ${file}:\n${lines.join('\n')}`, {
    hint: 'Fix the errors above; b2 compiles the pipeline and everything it imports from your own files.',
  });
};

type Plugin = import('esbuild').Plugin;

/**
 * This package's npm name, and the name it had before (`b2` on npm is an
 * unrelated package): pipelines written for either import the same copy.
 */
export const OWN_PACKAGE_NAMES = ['b2-pipelines', 'b2'] as const;
const OWN_IMPORT = new RegExp(`^(${OWN_PACKAGE_NAMES.join('|')})(/.*)?$`);

/**
 * `b2-pipelines` and `b2` resolve to this copy of b2, so instanceof and
 * settings are shared with the CLI; of their subpaths, only what the
 * package exports (package.json): the rest of dist/ is bundle chunks.
 */
const pinOwnPackage = (): Plugin => ({
  name: 'b2-pin-own-package',
  setup(build) {
    build.onResolve({ filter: OWN_IMPORT }, (args) => {
      const [, name, subpath] = OWN_IMPORT.exec(args.path)!;
      if (subpath === undefined) return { path: OWN_ENTRY, external: true };
      // Bundled, not external: Node would import it only with a JSON import attribute, which esbuild drops.
      if (subpath === '/package.json') return { path: ownFile('package.json') };
      return { errors: [{ text: `"${args.path}" is not part of b2's API: import from "${name}" (the task API is all there), or "${name}/package.json".` }] };
    });
  },
});

/** import.meta.url/dirname/filename keep pointing at each source file, not at the bundle. */
const keepImportMeta = (): Plugin => ({
  name: 'b2-keep-import-meta',
  setup(build) {
    build.onLoad({ filter: SOURCE_EXTENSIONS }, (args) => {
      if (args.path.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
      const source = readFileSync(args.path, 'utf8');
      const extension = path.extname(args.path).slice(1);
      const loader = extension.startsWith('t') || extension === 'mts' || extension === 'cts' ? (extension === 'tsx' ? 'tsx' : 'ts') : extension === 'jsx' ? 'jsx' : 'js';
      if (!source.includes('import.meta')) return { contents: source, loader };
      const replacements: Record<string, string> = {
        url: JSON.stringify(pathToFileURL(args.path).href),
        dirname: JSON.stringify(path.dirname(args.path)),
        filename: JSON.stringify(args.path),
      };
      const contents = source.replace(/\bimport\.meta\.(url|dirname|filename)\b/g, (_m, key: string) => replacements[key]!);
      return { contents, loader };
    });
  },
});

/** `b2 report [RUN] -o report.html`: a run as one self-contained HTML page. */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { runDirAt } from '../../journal/run-dir.js';
import { EXIT, commonOptions } from '../options.js';
import { loadRun, locateStateDir, pickRun, selectableRuns, selectPipeline, type LocateFlags } from './status.js';

interface ReportFlags extends LocateFlags {
  readonly output?: string;
}

export const registerReportCommand = (program: Command): void => {
  const command = program
    .command('report')
    .description('write a run as one self-contained HTML page: summary, families, failures, timeline, tasks, graph')
    .argument('[run]', 'run id (or a unique part of it); default: the latest')
    .option('-o, --output <file>', 'the HTML file to write (default: b2-report-<run id>.html here)')
    .option('-p, --pipeline <file>', 'the pipeline file whose runs to choose from, or a folder for all runs there')
    .option('--state-dir <dir>', 'the runs folder (setting state_dir)')
    .action(async (runId: string | undefined, options: ReportFlags) => {
      const selection = selectPipeline(options.pipeline);
      const stateDir = await locateStateDir(options, selection);
      const id = pickRun(stateDir, runId, selectableRuns(stateDir, selection));
      const [{ runPageData }, { renderPage }] = await Promise.all([import('../../views/run-page.js'), import('../../views/page.js')]);
      const data = await runPageData(runDirAt(stateDir, id), loadRun(stateDir, id));
      const output = path.resolve(options.output ?? `b2-report-${id}.html`);
      writeFileSync(output, renderPage(data));
      process.stdout.write(`wrote the report of run ${id} (${data.tasks.name.length} tasks) to ${output}\n`);
      process.exitCode = EXIT.ok;
    });
  commonOptions(command);
};

/**
 * Dynamic dependencies: a task that finds out only while it runs which tasks
 * it needs. MakeFileList writes a list of input files (here a made-up
 * run catalogue); MergeFiles reads it, and asks for one ProcessFile task per
 * listed file before merging their results.
 *
 *   b2 run examples/dynamic.ts                      # local workers: MergeFiles waits while they run
 *   b2 run examples/dynamic.ts --workers 1          # also with one worker: the waiting task lends its slot
 *   b2 run examples/dynamic.ts --batch -w 50        # MergeFiles' job ends, the files are processed, it is resubmitted
 *
 * Results land in examples/results/; logs in examples/logs/.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { Task, param, setSetting } from 'b2';

setSetting('result_dir', 'results');

/** The catalogue: how many files there are is known only once this has run. */
export class MakeFileList extends Task.with({
  files: param.int({ default: 5, description: 'how many files the catalogue lists' }),
}) {
  *output() {
    yield this.addToOutput('files.txt');
  }

  run() {
    const names = Array.from({ length: this.files }, (_, i) => `run_${String(i).padStart(4, '0')}.dat`);
    writeFileSync(this.getOutputFileName('files.txt'), `${names.join('\n')}\n`);
  }
}

/** One listed file, processed. Its class is exported: a task asked for while running is re-created by class. */
export class ProcessFile extends Task.with({
  file: param.string({ description: 'the file to process' }),
}) {
  *output() {
    yield this.addToOutput('processed.txt');
  }

  run() {
    writeFileSync(this.getOutputFileName('processed.txt'), `${this.file}: ${this.file.length} characters\n`);
  }
}

export class MergeFiles extends Task.with({
  files: param.int({ default: 5, description: 'how many files the catalogue lists' }),
}) {
  requires() {
    return new MakeFileList({ files: this.files });
  }

  *output() {
    yield this.addToOutput('merged.txt');
  }

  async run() {
    const names = readFileSync(this.getInputFileName('files.txt'), 'utf8').split('\n').filter(Boolean);
    // Waits until every ProcessFile is complete (in a batch job: ends, and runs again from the top after them).
    const processed = await this.require(names.map((file) => new ProcessFile({ file })));
    const lines = processed.map((task) => readFileSync(task.getOutputFileName('processed.txt'), 'utf8'));
    writeFileSync(this.getOutputFileName('merged.txt'), lines.join(''));
  }
}

/** The same in luigi's generator form: each yield requires tasks, and evaluates to them once they are complete. */
export class MergeFilesYielding extends Task.with({
  files: param.int({ default: 5, description: 'how many files the catalogue lists' }),
}) {
  requires() {
    return new MakeFileList({ files: this.files });
  }

  *output() {
    yield this.addToOutput('merged-yielding.txt');
  }

  *run() {
    const names = readFileSync(this.getInputFileName('files.txt'), 'utf8').split('\n').filter(Boolean);
    const processed: ProcessFile[] = yield names.map((file) => new ProcessFile({ file }));
    const lines = processed.map((task) => readFileSync(task.getOutputFileName('processed.txt'), 'utf8'));
    writeFileSync(this.getOutputFileName('merged-yielding.txt'), lines.join(''));
  }
}

export default new MergeFiles();

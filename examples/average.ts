/**
 * The classic first pipeline: ten number tasks, and one task that averages them.
 *
 *   b2 run examples/average.ts                    # local workers
 *   b2 run examples/average.ts --batch -w 50      # one batch job per task
 *
 * Results land in examples/results/some_parameter=<i>/number.txt and
 * examples/results/average.txt; logs in examples/logs/.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { Task, param, setSetting } from 'b2-pipelines';

// Settings can also come from settings.json, .b2rc*, B2_* variables or flags: see `b2 settings`.
setSetting('result_dir', 'results');

export class MyNumberTask extends Task.with({
  some_parameter: param.int({ description: 'which number to produce' }),
}) {
  *output() {
    yield this.addToOutput('number.txt');
  }

  run() {
    // `this.some_parameter` is a number here: the type comes from param.int().
    const value = this.some_parameter ** 2;
    console.log(`writing ${value}`);
    writeFileSync(this.getOutputFileName('number.txt'), `${value}\n`);
  }
}

export class MyAverageTask extends Task {
  *requires() {
    for (let i = 0; i < 10; i++) yield new MyNumberTask({ some_parameter: i });
  }

  *output() {
    yield this.addToOutput('average.txt');
  }

  run() {
    const numbers = this.getInputFileNames('number.txt').map((file) => Number(readFileSync(file, 'utf8')));
    const average = numbers.reduce((sum, n) => sum + n, 0) / numbers.length;
    console.log(`average of ${numbers.length} numbers: ${average}`);
    writeFileSync(this.getOutputFileName('average.txt'), `${average}\n`);
  }
}

export default new MyAverageTask();

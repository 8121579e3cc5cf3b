/** Small task classes shared by the pipeline and scheduler tests. */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { param } from '../../src/pipeline/params.js';
import { ExternalTask, Task, WrapperTask } from '../../src/pipeline/task.js';
import { initSettings, resetSettings } from '../../src/settings/index.js';

/** A fresh temporary pipeline folder with default settings. */
export const freshPipelineDir = async (): Promise<string> => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'b2-test-'));
  resetSettings();
  await initSettings({ cwd: dir, env: {}, flags: {}, pipelineDir: dir });
  return dir;
};

export class Leaf extends Task.with({ n: param.int(), label: param.string({ default: 'x' }) }) {
  override *output() {
    yield this.addToOutput('leaf.txt');
  }
}

export class Sum extends Task.with({ count: param.int({ default: 3 }) }) {
  override *requires() {
    for (let n = 0; n < this.count; n++) yield new Leaf({ n });
  }
  override *output() {
    yield this.addToOutput('sum.txt');
  }
}

export class Raw extends ExternalTask.with({ runNumber: param.int() }) {
  override *output() {
    yield this.addToOutput('raw.root');
  }
}

export class All extends WrapperTask {
  override requires() {
    return [new Sum({ count: 2 }), new Sum({ count: 1 })];
  }
}

/**
 * Pipelines for the benchmarks: each task writes one small file.
 *   Sum --n N      fan-in: N leaves and one task summing them
 *   Link --i N     a chain of N+1 tasks
 *   Trivial --n N  N independent leaves under one wrapper (for batch runs)
 *   Counted --n N  the same, each leaf also appending its index to
 *                  results/runs.log when it runs (did each run exactly once?)
 */
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Task, WrapperTask, param } from 'b2';

export class Leaf extends Task.with({ i: param.int() }) {
  *output() {
    yield this.addToOutput('leaf.txt');
  }
  run() {
    writeFileSync(this.getOutputFileName('leaf.txt'), String(this.i));
  }
}

export class Sum extends Task.with({ n: param.int() }) {
  *requires() {
    for (let i = 0; i < this.n; i++) yield new Leaf({ i });
  }
  *output() {
    yield this.addToOutput('sum.txt');
  }
  run() {
    let sum = 0;
    for (const file of this.getInputFileNames('leaf.txt')) sum += Number(readFileSync(file, 'utf8'));
    writeFileSync(this.getOutputFileName('sum.txt'), String(sum));
  }
}

export class Link extends Task.with({ i: param.int() }) {
  requires() {
    return this.i > 0 ? new Link({ i: this.i - 1 }) : [];
  }
  *output() {
    yield this.addToOutput('link.txt');
  }
  run() {
    writeFileSync(this.getOutputFileName('link.txt'), String(this.i));
  }
}

export class Trivial extends WrapperTask.with({ n: param.int() }) {
  *requires() {
    for (let i = 0; i < this.n; i++) yield new Leaf({ i });
  }
}

export class CountedLeaf extends Task.with({ i: param.int() }) {
  *output() {
    yield this.addToOutput('counted.txt');
  }
  run() {
    mkdirSync('results', { recursive: true });
    // One short append (O_APPEND): lines of concurrent jobs do not mix.
    appendFileSync('results/runs.log', `${this.i}\n`);
    writeFileSync(this.getOutputFileName('counted.txt'), String(this.i));
  }
}

export class Counted extends WrapperTask.with({ n: param.int() }) {
  *requires() {
    for (let i = 0; i < this.n; i++) yield new CountedLeaf({ i });
  }
}

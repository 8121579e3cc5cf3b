/**
 * A starter pipeline: five Simulate tasks, one per sample, and a Summarise
 * task that needs them all. Each task is one class; its parameters decide
 * where its outputs go: results/events=1000/sample=3/events.json, ...
 *
 *   npx b2 run pipeline.ts --dry-run          # what would run
 *   npx b2 run pipeline.ts                    # on local workers
 *   npx b2 run pipeline.ts --batch            # one batch job per task (HTCondor, LSF, Slurm, Grid Engine, PBS)
 *   npx b2 run pipeline.ts Simulate --help    # a task's parameters
 *   npx b2 status                             # from another terminal
 *
 * Run it twice: the second time everything is complete and nothing runs.
 * Settings (result_dir, workers, batch_system, ...) are in settings.json.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { Task, param } from 'b2-pipelines';

export class Simulate extends Task.with({
  events: param.int({ default: 1000, description: 'events to simulate per sample' }),
  sample: param.int({ description: 'which sample: also the seed of its random numbers' }),
}) {
  // Every output a task declares must exist after run(): then the task is complete.
  *output() {
    yield this.addToOutput('events.json');
  }

  run() {
    // A small deterministic generator, so that reruns give the same numbers.
    let state = this.sample + 1;
    const energies: number[] = [];
    for (let i = 0; i < this.events; i++) {
      state = (state * 48271) % 2147483647;
      energies.push((state / 2147483647) * 10);
    }
    console.log(`sample ${this.sample}: ${this.events} events`);
    // getOutputFileName gives a temporary name while run() runs: a failed task leaves no output behind.
    writeFileSync(this.getOutputFileName('events.json'), JSON.stringify({ sample: this.sample, energies }));
  }
}

export class Summarise extends Task.with({
  events: param.int({ default: 1000, description: 'events per sample' }),
  samples: param.int({ default: 5, description: 'how many samples to simulate' }),
}) {
  *requires() {
    // clone() passes on the parameters both tasks share (events).
    for (let sample = 0; sample < this.samples; sample++) yield this.clone(Simulate, { sample });
  }

  *output() {
    yield this.addToOutput('summary.txt');
  }

  run() {
    const energies = this.getInputFileNames('events.json').flatMap((file) => (JSON.parse(readFileSync(file, 'utf8')) as { energies: number[] }).energies);
    const mean = energies.reduce((sum, e) => sum + e, 0) / energies.length;
    writeFileSync(this.getOutputFileName('summary.txt'), `${energies.length} events, mean energy ${mean.toFixed(3)} GeV\n`);
  }
}

// What `b2 run pipeline.ts` runs when no task is named.
export default new Summarise();

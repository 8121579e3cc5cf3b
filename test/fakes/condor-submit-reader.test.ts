// The HTCondor simulator reads a submit description the way condor_submit
// does (condor_utils/config.cpp): each physical line trimmed at both ends, a
// trailing `\` joining the next line, values trimmed, `$(DOLLAR)` a literal `$`.
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { readSubmitDescription, SubmitFileError } from './lib/condor-submit-file.mjs';
import { createFakeCluster, type FakeCluster } from './lib/index.mjs';
import { file, run, script } from './support.js';

jest.setTimeout(120_000);

const settingsOf = (text: string) => readSubmitDescription(text).map((proc) => proc.settings);

describe('submit description reader', () => {
  it('gives $(DOLLAR) as a literal $ that is not expanded again', () => {
    const [proc] = settingsOf('output = /d/$(DOLLAR)HOME/$(DOLLAR)(Cluster)/$(dollar)$(DOLLAR)(x)\nqueue\n');
    expect(proc!.output).toBe('/d/$HOME/$(Cluster)/$$(x)');
  });

  it('still expands other macros and leaves $$() for the match', () => {
    const [proc] = settingsOf('name = n\noutput = $(name).$(Cluster).$$(Memory)\nqueue\n');
    expect(proc!.output).toBe('n.1.$$(Memory)');
  });

  it('joins a line ending in a backslash with the next, also when blanks follow the backslash', () => {
    expect(settingsOf('batch_name = a\\\n+Tag = "x"\nqueue\n')[0]).toEqual({ batch_name: 'a+Tag = "x"' });
    expect(settingsOf('batch_name = a\\  \t\n   b\nqueue\n')[0]).toEqual({ batch_name: 'ab' });
    // The queue statement itself can be swallowed: no job at all.
    expect(readSubmitDescription('batch_name = a\\\nqueue 1\n')).toEqual([]);
  });

  it('reports the line of a command it cannot read', () => {
    expect(() => readSubmitDescription('batch_name = a\nnot a command\nqueue\n')).toThrow(SubmitFileError);
  });

  it('does not continue a comment line', () => {
    expect(settingsOf('# a comment \\\nbatch_name = b\nqueue\n')[0]).toEqual({ batch_name: 'b' });
  });

  it('trims ASCII blanks around values and keeps the others', () => {
    const [proc] = settingsOf('batch_name =  \t x y \v\f\r\nerror = \u00a0e\u00a0\nqueue\n');
    expect(proc).toEqual({ batch_name: 'x y', error: '\u00a0e\u00a0' });
  });
});

describe('condor_submit end to end', () => {
  let cluster: FakeCluster;
  beforeEach(() => {
    cluster = createFakeCluster({ faults: { condorQueueLingerMs: 60_000, startDelayMs: 60_000 } });
  });
  afterEach(() => cluster.cleanup());

  it('submits a job whose paths hold $, written as $(DOLLAR), and a continued command', () => {
    script(cluster, 'true.sh', 'exit 0');
    const description = [
      'executable = true.sh',
      'output = out.$(DOLLAR)HOME.$(DOLLAR)(Cluster)',
      'log = job$(DOLLAR)1.log',
      'batch_name = first \\',
      '  second',
      '+B2RunTag = "tag $(DOLLAR)x"',
      'queue 1',
      '',
    ].join('\n');
    const r = run(cluster, 'condor_submit', ['-terse', file(cluster, 'job.sub', description)]);
    expect(r).toEqual({ stdout: '1.0 - 1.0\n', stderr: '', status: 0 });
    const q = run(cluster, 'condor_q', ['-json', '-attributes', 'Out,UserLog,JobBatchName,B2RunTag']);
    const [ad] = JSON.parse(q.stdout) as Array<Record<string, string>>;
    expect(ad).toEqual({ Out: 'out.$HOME.$(Cluster)', UserLog: `${cluster.dir}/job$1.log`, JobBatchName: 'first second', B2RunTag: 'tag $x' });
  });
});

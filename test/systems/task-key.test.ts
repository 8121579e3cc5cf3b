/**
 * The task key every job carries next to the run tag, written by each
 * adapter and read back by its parser from the query that lists a run's jobs
 * whatever their ids (what resolves a submission of unknown outcome).
 */
import { describe, expect, it } from '@jest/globals';
import { createHtcondorAdapter, parseCondorQOutput, renderSubmitDescription } from '../../src/systems/htcondor.js';
import { bsubArguments, createLsfAdapter, parseBjobsOutput } from '../../src/systems/lsf.js';
import { createSgeAdapter, parseQstatXml, qsubOptions } from '../../src/systems/sge.js';
import { createSlurmAdapter, parseSqueueOutput, sbatchOptions } from '../../src/systems/slurm.js';
import { parseTaggedText, taggedText, taskKey } from '../../src/systems/task-key.js';
import type { QueryContext } from '../../src/systems/contract.js';
import { jobSpec } from './helpers.js';

const ctx: QueryContext = { runTag: 'b2-run-1', jobIds: [], user: 'alice' };
const bin = (name: string): string[] => [name];
const KEY = '0123456789ab';

const values = <T>(result: { ok: true; value: Map<string, T> } | { ok: false }): T[] => {
  if (!result.ok) throw new Error('parse failed');
  return [...result.value.values()];
};

describe('task keys', () => {
  it('are 12 hex digits, the same for the same task on every machine, different for another', () => {
    expect(taskKey('Piece_3_1f0a8e2c4d')).toMatch(/^[0-9a-f]{12}$/);
    expect(taskKey('Piece_3_1f0a8e2c4d')).toBe(taskKey('Piece_3_1f0a8e2c4d'));
    expect(taskKey('Piece_4_1f0a8e2c4d')).not.toBe(taskKey('Piece_3_1f0a8e2c4d'));
  });

  it('travel with the run tag in one field without blanks, and a field of an older b2 has none', () => {
    expect(taggedText('b2_abc123', KEY)).toBe('b2_abc123.0123456789ab');
    expect(parseTaggedText('b2_abc123.0123456789ab')).toEqual({ runTag: 'b2_abc123', taskKey: KEY });
    expect(parseTaggedText('b2_abc123')).toEqual({ runTag: 'b2_abc123' });
    expect(parseTaggedText('b2.x.0123456789ab')).toEqual({ runTag: 'b2.x', taskKey: KEY });
  });
});

describe('each system carries the key and reads it back from the listing of the run’s jobs', () => {
  it('HTCondor: +B2TaskKey, asked for by condor_q with the run tag', () => {
    expect(renderSubmitDescription(jobSpec())).toContain(`+B2TaskKey = "${KEY}"\n`);
    const command = createHtcondorAdapter().taggedJobsCommand(ctx, bin);
    expect(command.argv).toContain('-constraint');
    expect(command.argv.join(' ')).toContain('B2TaskKey');
    const out = JSON.stringify([{ ClusterId: 7, ProcId: 0, JobStatus: 1, B2RunTag: 'b2-run-1', B2TaskKey: KEY }, { ClusterId: 8, ProcId: 0, JobStatus: 2, B2RunTag: 'b2-run-1' }]);
    expect(values(parseCondorQOutput(out, '', 0, ctx))).toEqual([
      { jobId: '7.0', state: 'pending', native: '1', taskKey: KEY },
      { jobId: '8.0', state: 'running', native: '2' },
    ]);
  });

  it('Slurm: the comment, listed by squeue for the user', () => {
    expect(sbatchOptions(jobSpec())).toContain(`--comment=b2-run-1.${KEY}`);
    expect(createSlurmAdapter().taggedJobsCommand(ctx, bin).argv).toEqual(['squeue', '-h', '-r', '-t', 'all', '-o', '%i|%T|%r|%k', '-u', 'alice']);
    const out = `41|PENDING|Priority|b2-run-1.${KEY}\n42|RUNNING|None|b2-run-1\n43|RUNNING|None|b2-run-2.${KEY}\n`;
    expect(values(parseSqueueOutput(out, '', 0, ctx))).toEqual([
      { jobId: '41', state: 'pending', native: 'PENDING', reason: 'Priority', taskKey: KEY },
      { jobId: '42', state: 'running', native: 'RUNNING' },
    ]);
  });

  it('LSF: the job description, listed by bjobs -a for the user', () => {
    const args = bsubArguments(jobSpec());
    expect(args[args.indexOf('-Jd') + 1]).toBe(`b2-run-1.${KEY}`);
    expect(createLsfAdapter().taggedJobsCommand(ctx, bin).argv).toEqual(['bjobs', '-a', '-json', '-o', 'jobid jobindex stat exit_code exit_reason job_description', '-u', 'alice']);
    const out = JSON.stringify({
      RECORDS: [
        { JOBID: '5', STAT: 'PEND', EXIT_CODE: '', EXIT_REASON: '', JOB_DESCRIPTION: `b2-run-1.${KEY}` },
        { JOBID: '6', STAT: 'RUN', EXIT_CODE: '', EXIT_REASON: '', JOB_DESCRIPTION: `other.${KEY}` },
      ],
    });
    expect(values(parseBjobsOutput(out, '', 0, ctx))).toEqual([{ jobId: '5', state: 'pending', native: 'PEND', taskKey: KEY }]);
  });

  it('Grid Engine: the job name, listed by qstat for the user', () => {
    const options = qsubOptions(jobSpec());
    expect(options[options.indexOf('-N') + 1]).toBe(`b2-b2-run-1-${KEY}-Average`);
    expect(createSgeAdapter().taggedJobsCommand(ctx, bin).argv).toEqual(['qstat', '-xml', '-u', 'alice']);
    const job = (id: string, name: string): string =>
      `<job_list state="pending"><JB_job_number>${id}</JB_job_number><JB_name>${name}</JB_name><state>qw</state></job_list>`;
    const out = `<?xml version='1.0'?>\n<job_info><queue_info></queue_info><job_info>${job('9', `b2-b2-run-1-${KEY}-Average`)}${job('10', 'b2-b2-run-1-Average')}${job('11', `b2-other-${KEY}-Average`)}</job_info></job_info>`;
    expect(values(parseQstatXml(out, '', 0, ctx))).toEqual([
      { jobId: '9', state: 'pending', native: 'qw', taskKey: KEY },
      { jobId: '10', state: 'pending', native: 'qw' },
    ]);
  });
});

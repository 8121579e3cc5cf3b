// bparams: the lsb.params values b2 may probe, MAX_JOB_ARRAY_SIZE above all
// (bparams and lsb.params manuals). `-a` lists every parameter as
// "    NAME = value" after a "lsb.params configuration at <date>" line; the
// plain form is the short summary the manual describes.
import { Exit, formatTime } from './common.mjs';
import { num } from './faults.mjs';

function parameters(faults) {
  return [
    ['DEFAULT_QUEUE', (faults.lsfDefaultQueue ?? (faults.lsfQueues ?? ['normal'])[0])],
    ['MBD_SLEEP_TIME', 10],
    ['SBD_SLEEP_TIME', 7],
    ['JOB_ACCEPT_INTERVAL', 0],
    ['CLEAN_PERIOD', num(faults, 'lsfCleanPeriodSec', 3600)],
    ['JOB_TERMINATE_INTERVAL', Math.round(num(faults, 'killIntervalMs', 1000) / 1000)],
    ['MAX_JOB_ARRAY_SIZE', num(faults, 'lsfMaxJobArraySize', 1000)],
  ];
}

export function main({ argv, faults, out }) {
  let all = false;
  for (const a of argv) {
    if (a === '-a' || a === '-l') all = true;
    else throw new Exit(255, `bparams: option ${a} is not supported by the b2 batch simulator\n`);
  }
  const params = parameters(faults);
  if (all) {
    out(`lsb.params configuration at ${formatTime(Date.now(), '%a %b %e %H:%M:%S %Y')}\n${params.map(([k, v]) => `    ${k} = ${v}\n`).join('')}`);
    return 0;
  }
  const get = (name) => params.find(([k]) => k === name)[1];
  out(
    `Default Queues:  ${get('DEFAULT_QUEUE')}\n` +
      `MBD_SLEEP_TIME used for calculations:  ${get('MBD_SLEEP_TIME')} seconds\n` +
      `Job Checking Interval:  ${get('SBD_SLEEP_TIME')} seconds\n` +
      `Job Accepting Interval:  ${get('JOB_ACCEPT_INTERVAL')} seconds\n`,
  );
  return 0;
}

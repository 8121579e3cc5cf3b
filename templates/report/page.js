// The run page: every section is built from the data blob with textContent
// (never markup from data); a live page swaps the blob when the run moves on.
(() => {
  'use strict';
  const byId = (id) => document.getElementById(id);
  const make = (tag, className, text) => {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  };
  const readJson = (id) => {
    const node = byId(id);
    return node ? JSON.parse(node.textContent) : null;
  };

  const live = readJson('b2-live');
  let data = readJson('b2-data');

  const COLOURS = {
    succeeded: '#43a047', running: '#1e88e5', waiting: '#7e57c2', submitting: '#90caf9', submitted: '#90caf9', retrying: '#fb8c00',
    failed: '#e53935', cancelled: '#757575', 'not-run': '#cfd4da', pending: '#eef1f4', complete: '#c8e6c9',
  };
  const TEXT_ON = { succeeded: '#fff', running: '#fff', waiting: '#fff', retrying: '#fff', failed: '#fff', cancelled: '#fff' };

  const seconds = (s) => {
    if (s === undefined || s === null || s < 0) return '';
    if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
    const m = Math.floor(s / 60);
    if (m < 60) return `${m}m ${String(Math.round(s % 60)).padStart(2, '0')}s`;
    const h = Math.floor(m / 60);
    return `${h}h ${String(m % 60).padStart(2, '0')}m`;
  };
  const megabytes = (mb) => (mb === undefined || mb < 0 ? '' : mb >= 1024 ? `${(mb / 1024).toFixed(1)} GB` : `${Math.round(mb)} MB`);
  const percent = (x) => (x === undefined ? '' : `${Math.round(x * 100)}%`);
  const number = (n) => n.toLocaleString('en-US');
  const when = (t) => (t ? new Date(t).toISOString().replace('T', ' ').slice(0, 19) + ' UTC' : '');

  // ---- summary ------------------------------------------------------------
  const CARDS = [
    ['total', 'in graph', '#546e7a', (d) => d.total],
    ['complete-before', 'complete before', COLOURS.complete, (d) => d.completeBefore],
    ['succeeded', 'succeeded', COLOURS.succeeded, (d) => d.counts.succeeded],
    ['in-flight', 'in flight', COLOURS.running, (d) => d.counts.running + (d.counts.waiting || 0) + d.counts.submitting + d.counts.submitted],
    ['pending', 'pending', '#b0bec5', (d) => d.counts.pending],
    ['retrying', 'retrying', COLOURS.retrying, (d) => d.counts.retrying],
    ['failed', 'failed', COLOURS.failed, (d) => d.counts.failed],
    ['cancelled', 'cancelled', COLOURS.cancelled, (d) => d.counts.cancelled],
    ['not-run', 'not run', COLOURS['not-run'], (d) => d.counts['not-run']],
  ];

  const barOf = (parts, total) => {
    const bar = make('div', 'bar');
    for (const [phase, n] of parts) {
      if (!n) continue;
      const part = make('span');
      part.style.width = `${(100 * n) / Math.max(1, total)}%`;
      part.style.background = COLOURS[phase] || '#999';
      part.title = `${n} ${phase}`;
      bar.append(part);
    }
    return bar;
  };

  const renderSummary = () => {
    byId('run-id').textContent = data.runId;
    document.title = `b2 run ${data.runId}`;
    byId('runner').textContent = data.runner.text;
    const kind = data.runner.kind === 'finished' ? (data.runner.text === 'finished' ? 'finished-ok' : 'finished-bad') : data.runner.kind;
    byId('runner-dot').className = `dot ${kind}`;
    const meta = byId('meta');
    meta.replaceChildren();
    const item = (label, value) => {
      if (value === '' || value === undefined) return;
      const span = make('span', '', `${label} `);
      span.append(make('b', '', String(value)));
      meta.append(span);
    };
    item('pipeline', data.pipeline);
    item('mode', data.mode);
    item('started', when(data.startedAt));
    item('finished', when(data.finishedAt));
    item('wall time', seconds(data.wallSeconds));
    const cards = byId('cards');
    cards.replaceChildren();
    for (const [key, label, colour, value] of CARDS) {
      const n = value(data);
      if (!n && key !== 'total' && key !== 'succeeded' && key !== 'failed') continue;
      const card = make('div', 'card');
      card.dataset.count = key;
      card.style.setProperty('--c', colour);
      card.append(make('div', 'n', number(n)), make('div', 'l', label));
      cards.append(card);
    }
    const bar = barOf(
      [['complete', data.completeBefore], ...data.phases.map((phase) => [phase, data.counts[phase]])],
      data.total,
    );
    bar.classList.add('big');
    byId('overall-bar').replaceWith(bar);
    bar.id = 'overall-bar';
  };

  // ---- families -----------------------------------------------------------
  const renderFamilies = () => {
    const body = byId('families').tBodies[0];
    body.replaceChildren();
    for (const family of data.families) {
      const row = body.insertRow();
      row.dataset.family = family.name;
      const cell = (text, className) => {
        const td = row.insertCell();
        if (className) td.className = className;
        if (text instanceof Node) td.append(text);
        else td.textContent = text;
        return td;
      };
      const p = family.phases;
      cell(family.name, 'name');
      cell(barOf(data.phases.map((phase) => [phase, p[phase] || 0]), family.tasks));
      cell(number(family.tasks));
      cell(number(p.succeeded || 0));
      cell(number(p.failed || 0), p.failed ? 'low' : '');
      cell(number((p.running || 0) + (p.submitting || 0) + (p.submitted || 0)));
      cell(family.wallSeconds ? `${seconds(family.wallSeconds.p50)} / ${seconds(family.wallSeconds.p95)}` : '');
      cell(family.queueSeconds ? seconds(family.queueSeconds.p50) : '');
      cell(percent(family.cpuEfficiency), family.cpuEfficiency !== undefined && family.cpuEfficiency < 0.5 ? 'low' : '');
      cell(family.maxRssMb ? `${megabytes(family.maxRssMb.p95)} / ${megabytes(family.maxRssMb.max)}` : '');
      cell(
        family.memoryEfficiency === undefined ? '' : `${percent(family.memoryEfficiency)} of ${megabytes(family.requestedMemoryMb)}`,
        family.memoryEfficiency !== undefined && family.memoryEfficiency < 0.5 ? 'low' : '',
      );
    }
  };

  // ---- failures -----------------------------------------------------------
  const openFailures = new Set();
  const renderFailures = () => {
    const section = byId('failures-section');
    section.hidden = data.failures.length === 0;
    const shown = data.failures.reduce((sum, group) => sum + group.count, 0);
    byId('failures-count').textContent =
      `${number(data.failedTasks)} failed task${data.failedTasks === 1 ? '' : 's'}, ${data.failures.length} cause${data.failures.length === 1 ? '' : 's'}` +
      (shown < data.failedTasks ? ` (the ${data.failures.length} most common shown)` : '');
    const box = byId('failures');
    box.replaceChildren();
    data.failures.forEach((group, index) => {
      const details = make('details', 'failure');
      const key = `${group.reason}\u0000${group.message}`;
      details.open = openFailures.has(key) || (index === 0 && openFailures.size === 0);
      details.addEventListener('toggle', () => (details.open ? openFailures.add(key) : openFailures.delete(key)));
      const summary = make('summary');
      summary.append(make('span', 'count', `${number(group.count)}×`), make('span', 'reason', group.reason), document.createTextNode(group.message || '(no message)'));
      details.append(summary);
      for (const example of group.examples) {
        const div = make('div', 'example');
        div.append(make('div', 'task', example.task));
        if (example.logDir) div.append(make('div', 'logs', `logs: ${example.logDir}`));
        if (example.tail.length) div.append(make('pre', 'tail', example.tail.join('\n')));
        details.append(div);
      }
      box.append(details);
    });
  };

  // ---- timeline -----------------------------------------------------------
  const PER_TASK_LIMIT = 1500;
  const nowSeconds = () => (data.startedAt ? (data.generatedAt - data.startedAt) / 1000 : 0);

  const renderTimeline = () => {
    const canvas = byId('timeline');
    const t = data.tasks;
    const n = t.name.length;
    const started = [];
    for (let i = 0; i < n; i++) if (t.started[i] >= 0 || t.submitted[i] >= 0) started.push(i);
    const end = Math.max(nowSeconds(), data.wallSeconds || 0, 1);
    const failedPhase = data.phases.indexOf('failed');
    const width = Math.max(300, canvas.parentElement.clientWidth);
    const left = 150;
    const plot = width - left - 10;
    const x = (s) => left + (Math.max(0, s) / end) * plot;
    const perTask = started.length <= PER_TASK_LIMIT;
    const rowHeight = perTask ? Math.max(3, Math.min(14, Math.floor(600 / Math.max(1, started.length)))) : 34;
    const rows = perTask ? started.length : data.families.length;
    const height = Math.max(60, rows * rowHeight + 30);
    const ratio = window.devicePixelRatio || 1;
    canvas.width = Math.floor(width * ratio);
    canvas.height = Math.floor(height * ratio);
    canvas.style.height = `${height}px`;
    const g = canvas.getContext('2d');
    g.setTransform(ratio, 0, 0, ratio, 0, 0);
    g.clearRect(0, 0, width, height);
    g.font = '11px system-ui, sans-serif';
    g.fillStyle = '#66707c';
    // Time axis: about six ticks at round numbers.
    const step = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 28800, 86400].find((s) => end / s <= 6) || 86400;
    g.strokeStyle = '#eef0f3';
    for (let s = 0; s <= end; s += step) {
      g.fillText(seconds(s) || '0 s', x(s) + 2, 11);
      g.beginPath();
      g.moveTo(x(s), 14);
      g.lineTo(x(s), height);
      g.stroke();
    }
    const top = 18;
    if (perTask) {
      byId('timeline-note').textContent = started.length ? `one row per task (${number(started.length)})` : 'no task has started yet';
      started.sort((a, b) => (t.submitted[a] >= 0 ? t.submitted[a] : t.started[a]) - (t.submitted[b] >= 0 ? t.submitted[b] : t.started[b]));
      started.forEach((i, row) => {
        const y = top + row * rowHeight;
        const h = Math.max(2, rowHeight - 1);
        const begin = t.started[i];
        const stop = t.ended[i] >= 0 ? t.ended[i] : end;
        if (t.submitted[i] >= 0) {
          g.fillStyle = COLOURS.submitted;
          g.fillRect(x(t.submitted[i]), y, Math.max(1, x(begin >= 0 ? begin : end) - x(t.submitted[i])), h);
        }
        if (begin >= 0) {
          g.fillStyle = t.phase[i] === failedPhase ? COLOURS.failed : COLOURS.running;
          g.fillRect(x(begin), y, Math.max(1, x(stop) - x(begin)), h);
        }
        if (rowHeight >= 11) {
          g.fillStyle = '#1d232b';
          g.fillText(t.name[i].slice(0, 24), 2, y + h - 2);
        }
      });
      return;
    }
    // Many tasks: per family, how many wait and how many run at each moment.
    byId('timeline-note').textContent = `per family: tasks waiting and running over time (${number(started.length)} tasks)`;
    const bins = Math.max(1, Math.floor(plot));
    const binOf = (s) => Math.min(bins - 1, Math.max(0, Math.floor((s / end) * bins)));
    data.families.forEach((family, f) => {
      const running = new Float64Array(bins + 1);
      const waiting = new Float64Array(bins + 1);
      for (const i of started) {
        if (t.family[i] !== f) continue;
        const begin = t.started[i];
        const stop = t.ended[i] >= 0 ? t.ended[i] : end;
        if (t.submitted[i] >= 0) {
          waiting[binOf(t.submitted[i])] += 1;
          waiting[binOf(begin >= 0 ? begin : end)] -= 1;
        }
        if (begin >= 0) {
          running[binOf(begin)] += 1;
          running[binOf(stop) + 1] -= 1;
        }
      }
      let peak = 1;
      for (let b = 1; b <= bins; b++) {
        running[b] += running[b - 1];
        waiting[b] += waiting[b - 1];
      }
      for (let b = 0; b < bins; b++) peak = Math.max(peak, running[b] + waiting[b]);
      const y = top + f * rowHeight;
      const h = rowHeight - 4;
      for (let b = 0; b < bins; b++) {
        const r = (running[b] / peak) * h;
        const w = (waiting[b] / peak) * h;
        if (r > 0) {
          g.fillStyle = COLOURS.running;
          g.fillRect(left + b, y + h - r, 1, r);
        }
        if (w > 0) {
          g.fillStyle = COLOURS.submitted;
          g.fillRect(left + b, y + h - r - w, 1, w);
        }
      }
      g.fillStyle = '#1d232b';
      g.fillText(family.name.slice(0, 20), 2, y + h / 2 + 2);
      g.fillStyle = '#66707c';
      g.fillText(`peak ${number(peak)}`, 2, y + h / 2 + 14);
    });
  };

  // ---- task table (virtualised: only the rows in view exist) ---------------
  const ROW = 24;
  const OVERSCAN = 8;
  const COLUMNS = [
    ['task', (i) => data.tasks.name[i], (i) => data.tasks.name[i]],
    ['family', (i) => data.families[data.tasks.family[i]].name, (i) => data.families[data.tasks.family[i]].name],
    ['state', (i) => data.phases[data.tasks.phase[i]], (i) => data.tasks.phase[i]],
    ['attempt', (i) => String(data.tasks.attempt[i]), (i) => data.tasks.attempt[i]],
    ['queue', (i) => seconds(queueOf(i)), (i) => queueOf(i)],
    ['start', (i) => seconds(data.tasks.started[i]), (i) => data.tasks.started[i]],
    ['wall', (i) => seconds(wallOf(i)), (i) => wallOf(i)],
    ['cpu', (i) => seconds(data.tasks.cpu[i]), (i) => data.tasks.cpu[i]],
    ['rss', (i) => megabytes(data.tasks.rss[i]), (i) => data.tasks.rss[i]],
    ['host', (i) => (data.tasks.host[i] >= 0 ? data.hosts[data.tasks.host[i]] : ''), (i) => (data.tasks.host[i] >= 0 ? data.hosts[data.tasks.host[i]] : '')],
  ];
  const queueOf = (i) => (data.tasks.submitted[i] >= 0 && data.tasks.started[i] >= 0 ? data.tasks.started[i] - data.tasks.submitted[i] : -1);
  const wallOf = (i) => {
    const begin = data.tasks.started[i];
    if (begin < 0) return -1;
    if (data.tasks.ended[i] >= 0) return data.tasks.ended[i] - begin;
    return data.phases[data.tasks.phase[i]] === 'running' ? nowSeconds() - begin : -1;
  };

  const table = { order: new Int32Array(0), sort: -1, desc: false, pool: [], first: -1, last: -1, rendered: false };
  const viewport = byId('task-viewport');

  const fillSelect = (select, values) => {
    const keep = select.value;
    while (select.options.length > 1) select.remove(1);
    for (const value of values) select.add(new Option(value, value));
    if (values.includes(keep)) select.value = keep;
  };

  const buildHead = () => {
    const head = byId('task-head');
    head.replaceChildren();
    COLUMNS.forEach(([label], c) => {
      const cell = make('div', c === table.sort ? `sorted${table.desc ? ' desc' : ''}` : '', label);
      cell.dataset.column = label;
      cell.addEventListener('click', () => {
        table.desc = table.sort === c ? !table.desc : false;
        table.sort = c;
        buildHead();
        applyFilter(true);
      });
      head.append(cell);
    });
  };

  // Names sort as people read them: event 9 before event 10.
  const collator = new Intl.Collator('en', { numeric: true });
  const compareKeys = (a, b) => (typeof a === 'string' ? collator.compare(a, b) : a < b ? -1 : a > b ? 1 : 0);

  /** toTop: a new filter or order shows its first rows; a live update keeps the place. */
  const applyFilter = (toTop) => {
    const t = data.tasks;
    const family = byId('filter-family').value;
    const phase = byId('filter-phase').value;
    const text = byId('filter-text').value.trim().toLowerCase();
    const familyIndex = family === '' ? -1 : data.families.findIndex((f) => f.name === family);
    const phaseIndex = phase === '' ? -1 : data.phases.indexOf(phase);
    const n = t.name.length;
    const picked = new Int32Array(n);
    let count = 0;
    for (let i = 0; i < n; i++) {
      if (familyIndex >= 0 && t.family[i] !== familyIndex) continue;
      if (phaseIndex >= 0 && t.phase[i] !== phaseIndex) continue;
      if (text && !t.name[i].toLowerCase().includes(text)) continue;
      picked[count++] = i;
    }
    let order = picked.subarray(0, count);
    if (table.sort >= 0) {
      const key = COLUMNS[table.sort][2];
      const keys = new Array(n);
      for (const i of order) keys[i] = key(i);
      const sign = table.desc ? -1 : 1;
      order = Int32Array.from(order).sort((a, b) => {
        return (compareKeys(keys[a], keys[b]) || a - b) * sign;
      });
    }
    table.order = order;
    byId('table-count').textContent = count === n ? `${number(n)}` : `${number(count)} of ${number(n)}`;
    byId('task-spacer').style.height = `${count * ROW}px`;
    if (toTop === true) viewport.scrollTop = 0;
    table.first = -1;
    drawRows();
  };

  const drawRows = () => {
    const count = table.order.length;
    const first = Math.max(0, Math.floor(viewport.scrollTop / ROW) - OVERSCAN);
    const last = Math.min(count, Math.ceil((viewport.scrollTop + viewport.clientHeight) / ROW) + OVERSCAN);
    if (first === table.first && last === table.last) return;
    table.first = first;
    table.last = last;
    const rows = byId('task-rows');
    rows.style.transform = `translateY(${first * ROW}px)`;
    while (table.pool.length < last - first) {
      const row = make('div', 'row');
      for (let c = 0; c < COLUMNS.length; c++) row.append(make('div'));
      table.pool.push(row);
    }
    const wanted = last - first;
    while (rows.childElementCount > wanted) rows.lastElementChild.remove();
    for (let r = 0; r < wanted; r++) {
      const i = table.order[first + r];
      const row = table.pool[r];
      row.dataset.index = String(i);
      COLUMNS.forEach(([name, text], c) => {
        const cell = row.children[c];
        const value = text(i);
        if (cell.textContent !== value) cell.textContent = value;
        if (name === 'task') cell.title = value;
        if (name === 'state') {
          cell.className = 'state-cell';
          cell.style.color = TEXT_ON[value] ? '#fff' : '';
          cell.style.background = COLOURS[value] || '';
        }
      });
      if (row.parentNode !== rows) rows.append(row);
    }
    if (!table.rendered) {
      table.rendered = true;
      performance.mark('b2-table-rendered');
      window.__b2 = { firstTableRender: performance.now() };
    }
  };

  const renderTable = () => {
    fillSelect(byId('filter-family'), data.families.map((f) => f.name));
    fillSelect(byId('filter-phase'), data.phases);
    applyFilter();
  };

  viewport.addEventListener('scroll', () => requestAnimationFrame(drawRows), { passive: true });
  let typing;
  byId('filter-text').addEventListener('input', () => {
    clearTimeout(typing);
    typing = setTimeout(() => applyFilter(true), 150);
  });
  byId('filter-family').addEventListener('change', () => applyFilter(true));
  byId('filter-phase').addEventListener('change', () => applyFilter(true));

  // ---- graph --------------------------------------------------------------
  let graphShown;
  const renderGraph = () => {
    byId('graph-section').hidden = !data.graphSvg;
    if (!data.graphSvg || data.graphSvg === graphShown) return;
    graphShown = data.graphSvg;
    const parsed = new DOMParser().parseFromString(data.graphSvg, 'image/svg+xml');
    const svg = parsed.documentElement;
    const box = byId('graph');
    box.replaceChildren();
    if (svg && svg.nodeName === 'svg') box.append(document.importNode(svg, true));
  };

  const renderAll = () => {
    renderSummary();
    renderFamilies();
    renderFailures();
    renderTable();
    renderTimeline();
    renderGraph();
    byId('footer').textContent = `b2 · ${live ? 'live, updated' : 'report generated'} ${when(data.generatedAt)}`;
  };

  buildHead();
  renderAll();
  let resizing;
  window.addEventListener('resize', () => {
    clearTimeout(resizing);
    resizing = setTimeout(() => {
      renderTimeline();
      table.first = -1;
      drawRows();
    }, 150);
  });

  // ---- live ---------------------------------------------------------------
  if (!live) return;
  const status = byId('live-status');
  status.hidden = false;
  status.textContent = 'live';
  const events = new EventSource('events');
  events.addEventListener('message', (event) => {
    data = JSON.parse(event.data);
    renderAll();
    status.textContent = `live · updated ${new Date().toLocaleTimeString()}`;
  });
  events.addEventListener('error', () => {
    status.textContent = 'disconnected from b2; retrying…';
  });
  if (live.allowKill) {
    byId('kill-box').hidden = false;
    byId('kill-button').addEventListener('click', async () => {
      if (!window.confirm(`Kill run ${data.runId}? Its runner stops and every job still in flight is cancelled.`)) return;
      const result = byId('kill-result');
      result.textContent = 'killing…';
      try {
        const response = await fetch('kill', { method: 'POST', headers: { 'X-B2-Token': live.token } });
        result.textContent = (await response.text()).trim().split('\n').pop() || response.statusText;
      } catch (error) {
        result.textContent = `could not reach b2: ${error}`;
      }
    });
  }
})();

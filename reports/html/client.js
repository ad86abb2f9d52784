// etcd-drill HTML report: filters and charts, plain DOM. Chart.js is inlined before this script (global Chart).
// The matrix and tables are already in the page; this only adds what needs a script.
(() => {
  const readJson = (id) => JSON.parse(document.getElementById(id).textContent);
  const run = readJson('run-data');
  const phases = readJson('phase-order');
  const PALETTE = ['#90a4ae', '#64b5f6', '#7986cb', '#4db6ac', '#e57373', '#ffb74d', '#ba68c8', '#a1887f'];
  const colour = (i) => PALETTE[i % PALETTE.length];
  const label = (r) => `${r.scenarioId} @ ${r.etcd.version}`;
  const secs = (ms) => Math.round(ms / 100) / 10;
  Chart.defaults.animation = false;

  /** Per phase: its first start and last end, from the steps (phases a drill never reached are absent). */
  function phaseSpans(r) {
    const spans = new Map();
    for (const s of r.steps) {
      const p = spans.get(s.phase) ?? { start: s.startMs, end: s.startMs + s.durationMs, took: 0 };
      p.start = Math.min(p.start, s.startMs);
      p.end = Math.max(p.end, s.startMs + s.durationMs);
      p.took += s.durationMs;
      spans.set(s.phase, p);
    }
    return spans;
  }

  /** Every drill shown as one horizontal bar, stacked by the time each phase took. */
  function overview(canvas, drills) {
    const rows = drills.map((i) => run.results[i]);
    const spans = rows.map(phaseSpans);
    canvas.parentElement.style.height = `${60 + 26 * rows.length}px`;
    return new Chart(canvas, {
      type: 'bar',
      data: {
        labels: rows.map(label),
        datasets: phases.map((p, i) => ({
          label: p,
          backgroundColor: colour(i),
          data: spans.map((s) => (s.has(p) ? secs(s.get(p).took) : null)),
        })),
      },
      options: {
        indexAxis: 'y',
        maintainAspectRatio: false,
        scales: {
          x: {
            stacked: true,
            title: { display: true, text: "seconds in each phase (its steps' durations summed)" },
          },
          y: { stacked: true },
        },
      },
    });
  }

  /** One drill: each phase and each fault as a bar from its start to its end. */
  function timeline(canvas, r) {
    const spans = phaseSpans(r);
    const bars = phases
      .filter((p) => spans.has(p))
      .map((p) => ({
        name: p,
        from: spans.get(p).start,
        to: spans.get(p).end,
        c: colour(phases.indexOf(p)),
      }));
    for (const f of r.faults) {
      const end = f.healedAtMs ?? f.injectedAtMs;
      bars.push({
        name: `fault: ${f.fault}`,
        from: f.injectedAtMs,
        to: Math.max(end, f.injectedAtMs + 50),
        c: '#c62828',
      });
    }
    canvas.parentElement.style.height = `${50 + 24 * bars.length}px`;
    return new Chart(canvas, {
      type: 'bar',
      data: {
        labels: bars.map((b) => b.name),
        datasets: [
          {
            label: 'seconds since the drill started',
            data: bars.map((b) => [secs(b.from), secs(b.to)]),
            backgroundColor: bars.map((b) => b.c),
          },
        ],
      },
      options: { indexAxis: 'y', maintainAspectRatio: false, plugins: { legend: { display: false } } },
    });
  }

  const count = (k) => (k ? k.count : null);

  /** v2 entries and v3 keys at the backup point, before the disaster and on every restored member. */
  function counts(canvas, r) {
    const o = r.observations;
    const sets = [
      { label: 'backup point', v2: count(o.backupPoint?.v2), v3: count(o.backupPoint?.v3) },
      { label: 'before the disaster', v2: count(o.beforeDisaster?.v2), v3: count(o.beforeDisaster?.v3) },
      ...(o.restored?.members ?? []).map((m) => ({
        label: `restored ${m.name}`,
        v2: m.v2.keys.count,
        v3: m.v3.keys.count,
      })),
    ];
    return new Chart(canvas, {
      type: 'bar',
      data: {
        labels: ['v2 entries', 'v3 keys'],
        datasets: sets.map((s, i) => ({ label: s.label, data: [s.v2, s.v3], backgroundColor: colour(i) })),
      },
      options: { maintainAspectRatio: false },
    });
  }

  /** v3 keys per /registry/<type>/ at the backup point and after the restore. */
  function types(canvas, r) {
    const before = r.observations.backupPoint?.byType ?? {};
    const after = r.observations.restored?.byType ?? {};
    const names = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    const pick = (m) => names.map((t) => (t in m ? m[t] : null));
    return new Chart(canvas, {
      type: 'bar',
      data: {
        labels: names,
        datasets: [
          { label: 'backup point', data: pick(before), backgroundColor: colour(1) },
          { label: 'restored', data: pick(after), backgroundColor: colour(3) },
        ],
      },
      options: { maintainAspectRatio: false },
    });
  }

  const DRAW = { timeline, counts, types };

  /** A drill's charts are drawn when its section first opens (a closed section has no size). */
  function drawDrill(section) {
    if (section.dataset.drawn) return;
    section.dataset.drawn = 'yes';
    const r = run.results[Number(section.dataset.drill)];
    for (const canvas of section.querySelectorAll('canvas[data-chart]'))
      DRAW[canvas.dataset.chart](canvas, r);
  }

  for (const section of document.querySelectorAll('details.drill')) {
    section.addEventListener('toggle', () => section.open && drawDrill(section));
    if (section.open) drawDrill(section);
  }

  // A matrix cell opens its drill's section.
  for (const a of document.querySelectorAll('a.cell')) {
    a.addEventListener('click', () => {
      const section = document.getElementById(a.getAttribute('href').slice(1));
      if (section) section.open = true;
    });
  }
  const target = location.hash ? document.getElementById(location.hash.slice(1)) : null;
  if (target?.matches('details.drill')) target.open = true;

  // Filters: a drill shows when it matches every chosen value.
  const form = document.getElementById('filters');
  const selects = [...form.querySelectorAll('select')];
  const overviewCanvas = document.getElementById('overview');
  let overviewChart;

  function apply() {
    const want = selects.filter((s) => s.value).map((s) => [s.name, s.value]);
    const matches = (el) => want.every(([k, v]) => el.dataset[k] === v);
    const shown = [];
    for (const cell of document.querySelectorAll('a.cell')) cell.classList.toggle('filtered', !matches(cell));
    for (const section of document.querySelectorAll('details.drill')) {
      section.hidden = !matches(section);
      if (!section.hidden) shown.push(Number(section.dataset.drill));
    }
    for (const row of document.querySelectorAll('table.matrix tbody tr')) {
      row.hidden = row.querySelectorAll('a.cell:not(.filtered)').length === 0;
    }
    document.getElementById('shown').textContent = `${shown.length} of ${run.results.length} drills shown`;
    overviewChart?.destroy();
    overviewChart = overview(overviewCanvas, shown);
  }

  for (const s of selects) s.addEventListener('change', apply);
  form.hidden = false;
  apply();
})();

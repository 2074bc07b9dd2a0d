// The docs page: draws what `model docs generate` put in #model-docs-data. No library, no network.
(function () {
  'use strict';
  const DATA = JSON.parse(document.getElementById('model-docs-data').textContent);
  const SVGNS = 'http://www.w3.org/2000/svg';
  const NUM = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });
  const COLORS = { source: 'var(--source)', seed: 'var(--seed)', model: 'var(--model)', test: 'var(--test)' };
  const byId = new Map(DATA.nodes.map((n) => [n.id, n]));

  function build(ns, tag, attrs, children) {
    const e = ns ? document.createElementNS(ns, tag) : document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'text') e.textContent = String(v);
      else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, String(v));
    }
    for (const c of [].concat(children || [])) {
      if (c === null || c === undefined || c === false) continue;
      e.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
    }
    return e;
  }
  const h = (tag, attrs, children) => build(null, tag, attrs, children);
  const s = (tag, attrs, children) => build(SVGNS, tag, attrs, children);

  function fmt(v) {
    if (v === null || v === undefined) return '';
    if (typeof v === 'number') return NUM.format(v);
    if (v === '') return "''";
    return String(v);
  }
  function pct(x) {
    return (x * 100).toFixed(x > 0 && x < 0.001 ? 3 : 1) + '%';
  }
  function paragraphs(text) {
    return String(text || '')
      .split(/\n\s*\n/)
      .map((p) => p.trim())
      .filter(Boolean)
      .map((p) => h('p', { text: p.replace(/\s*\n\s*/g, ' ') }));
  }
  function pill(status) {
    return status ? h('span', { class: 'pill ' + status, text: status }) : null;
  }
  /** A table; `data` tables show values as data (an empty string as ''), others as plain text. */
  function table(headers, rows, numeric, data) {
    const cell = (c) => (c instanceof Node ? c : data ? fmt(c) : typeof c === 'number' ? fmt(c) : String(c === null || c === undefined ? '' : c));
    return h('table', {}, [
      h('thead', {}, h('tr', {}, headers.map((x, i) => h('th', { class: numeric && numeric[i] ? 'num' : null, text: x })))),
      h('tbody', {}, rows.map((r) => h('tr', {}, r.map((c, i) => h('td', { class: numeric && numeric[i] ? 'num' : null }, cell(c)))))),
    ]);
  }

  // ---- Header, notes, overview -------------------------------------------------------------
  const app = document.getElementById('app');
  const p = DATA.project;
  app.appendChild(
    h('header', {}, [
      h('h1', { text: p.name }),
      h('nav', {}, [h('a', { href: '#lineage', text: 'Lineage' }), h('a', { href: '#charts', text: 'Charts' }), h('a', { href: '#profile', text: 'Raw data profile' })]),
      h('span', { class: 'meta', text: 'target ' + p.target + ' (' + p.adapter + ') · generated ' + p.generatedAt.replace('T', ' ').slice(0, 19) + ' UTC' + (p.runAt ? ' · last run ' + p.runAt.replace('T', ' ').slice(0, 19) + ' UTC' : '') }),
    ]),
  );
  const main = h('main');
  app.appendChild(main);
  if (DATA.notes.length) main.appendChild(h('div', { class: 'notes', id: 'notes' }, DATA.notes.map((n) => h('p', { text: n }))));
  if (p.overview) main.appendChild(h('section', { class: 'card overview', id: 'overview' }, paragraphs(p.overview)));

  // ---- Lineage ---------------------------------------------------------------------------------
  const details = h('div', { class: 'card details', id: 'details' }, [h('p', { class: 'empty', text: 'Click a node to see its description, columns, tests and SQL.' })]);
  const L = DATA.layout;
  const svg = s('svg', { id: 'lineage-graph', role: 'img', 'aria-label': 'lineage graph', preserveAspectRatio: 'xMidYMid meet', style: 'aspect-ratio: ' + Math.max(L.width, 10) + ' / ' + Math.max(L.height, 10) * 1.15 }); 
  svg.appendChild(
    s('defs', {}, s('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' }, s('path', { d: 'M 0 0 L 10 5 L 0 10 z', fill: '#9aa5b5' }))),
  );
  const world = s('g');
  svg.appendChild(world);
  const edgeEls = L.edges.map((e) => {
    const d = e.points.map((pt, i) => (i ? 'L' : 'M') + pt.x + ' ' + pt.y).join(' ');
    const el = s('path', { class: 'edge', d, 'marker-end': 'url(#arrow)', 'data-from': e.from, 'data-to': e.to });
    world.appendChild(el);
    return el;
  });
  const nodeEls = new Map();
  for (const pos of L.nodes) {
    const n = byId.get(pos.id);
    const g = s('g', { class: 'node ' + n.type, 'data-id': n.id, 'data-name': n.name, 'data-type': n.type, transform: 'translate(' + pos.x + ',' + pos.y + ')', tabindex: 0 }, [
      s('title', { text: n.type + ' ' + n.name + (n.status ? ' · ' + n.status : '') }),
      s('rect', { width: pos.width, height: pos.height, fill: COLORS[n.type], stroke: 'rgba(0,0,0,0.15)' }),
      s('text', { x: pos.width / 2, y: pos.height / 2 + 4, 'text-anchor': 'middle', text: n.label || n.name }),
      n.status ? s('circle', { cx: pos.width - 7, cy: 7, r: 4, fill: n.status === 'success' || n.status === 'pass' ? '#7ee2b0' : n.status === 'warn' ? '#ffd27a' : n.status === 'skipped' ? '#d0d4db' : '#ff8c8c', stroke: '#fff' }) : null,
    ]);
    g.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' || ev.key === ' ') select(n.id);
    });
    world.appendChild(g);
    nodeEls.set(n.id, g);
  }

  // Pan by dragging, zoom with the wheel; a click that did not drag selects a node.
  const view = { x: 0, y: 0, w: Math.max(L.width, 10), h: Math.max(L.height, 10) };
  const setView = () => svg.setAttribute('viewBox', view.x + ' ' + view.y + ' ' + view.w + ' ' + view.h);
  setView();
  let drag = null;
  svg.addEventListener('pointerdown', (ev) => {
    drag = { x: ev.clientX, y: ev.clientY, vx: view.x, vy: view.y, moved: false, target: ev.target };
  });
  svg.addEventListener('pointermove', (ev) => {
    if (!drag) return;
    const dx = ev.clientX - drag.x;
    const dy = ev.clientY - drag.y;
    if (!drag.moved && Math.hypot(dx, dy) < 4) return;
    if (!drag.moved) svg.setPointerCapture(ev.pointerId);
    drag.moved = true;
    svg.classList.add('dragging');
    const k = view.w / svg.clientWidth;
    view.x = drag.vx - dx * k;
    view.y = drag.vy - dy * k;
    setView();
  });
  svg.addEventListener('pointerup', () => {
    if (drag && !drag.moved) {
      const g = drag.target.closest ? drag.target.closest('.node') : null;
      if (g) select(g.getAttribute('data-id'));
    }
    drag = null;
    svg.classList.remove('dragging');
  });
  svg.addEventListener(
    'wheel',
    (ev) => {
      ev.preventDefault();
      const r = svg.getBoundingClientRect();
      const f = ev.deltaY > 0 ? 1.15 : 1 / 1.15;
      const mx = view.x + ((ev.clientX - r.left) / r.width) * view.w;
      const my = view.y + ((ev.clientY - r.top) / r.height) * view.h;
      view.x = mx - (mx - view.x) * f;
      view.y = my - (my - view.y) * f;
      view.w *= f;
      view.h *= f;
      setView();
    },
    { passive: false },
  );

  const counts = {};
  for (const n of DATA.nodes) counts[n.type] = (counts[n.type] || 0) + 1;
  main.appendChild(
    h('section', { id: 'lineage' }, [
      h('h2', { text: 'Lineage' }),
      h('div', { class: 'lineage' }, [
        h('div', { class: 'card graph' }, [
          h('div', { class: 'legend' }, ['source', 'seed', 'model', 'test'].filter((t) => counts[t]).map((t) => h('span', { style: '--c:' + COLORS[t], text: counts[t] + ' ' + t + (counts[t] === 1 ? '' : 's') }))),
          svg,
          h('div', { class: 'hint', text: 'drag to pan · wheel to zoom · click a node' }),
        ]),
        details,
      ]),
    ]),
  );

  function nodeLink(id) {
    const n = byId.get(id);
    return h('a', { class: 'link', href: '#lineage', onclick: (ev) => (ev.preventDefault(), select(id)), text: n ? n.name : id });
  }
  function linkList(ids) {
    if (!ids.length) return h('span', { class: 'sub', text: 'none' });
    const out = h('span');
    ids.forEach((id, i) => {
      if (i) out.appendChild(document.createTextNode(', '));
      out.appendChild(nodeLink(id));
    });
    return out;
  }

  function select(id) {
    const n = byId.get(id);
    if (!n) return;
    const near = new Set([id].concat(n.parents, n.children));
    for (const [nid, g] of nodeEls) {
      g.classList.toggle('selected', nid === id);
      g.classList.toggle('dim', !near.has(nid));
    }
    for (const e of edgeEls) {
      const hot = e.getAttribute('data-from') === id || e.getAttribute('data-to') === id;
      e.classList.toggle('hot', hot);
      e.classList.toggle('dim', !hot);
    }
    details.replaceChildren(...renderDetails(n));
    details.scrollTop = 0;
  }

  function renderDetails(n) {
    const out = [];
    out.push(h('h3', { id: 'details-name' }, [n.name + ' ', h('span', { class: 'pill', style: 'background:' + COLORS[n.type], text: n.type }), pill(n.status)]));
    out.push(h('div', { class: 'sub', text: [n.relation, n.file, n.materialized ? 'materialized: ' + n.materialized : null, n.executionTime !== null ? n.executionTime.toFixed(2) + 's' : null].filter(Boolean).join(' · ') }));
    if (n.message) out.push(h('div', { class: 'sub', text: 'last run: ' + n.message }));
    out.push(h('div', { class: 'desc' }, n.description ? paragraphs(n.description) : [h('p', { class: 'sub', text: 'No description.' })]));
    out.push(h('div', { class: 'sub' }, ['upstream: ', linkList(n.parents)]));
    out.push(h('div', { class: 'sub' }, ['downstream: ', linkList(n.children)]));
    if (n.columns.length) {
      out.push(h('h3', { text: 'Columns' }));
      out.push(table(['column', 'type', 'description', 'tests'], n.columns.map((c) => [c.name, c.type || '', c.description, c.tests.join(', ')])));
    }
    if (n.tests.length) {
      out.push(h('h3', { text: 'Tests' }));
      out.push(table(['test', 'column', 'last status'], n.tests.map((t) => [nodeLink(t.id), t.column || '', t.status ? pill(t.status) : 'not run'])));
    }
    const sqls = [];
    if (n.compiledSql !== null) sqls.push(['Compiled SQL', n.compiledSql]);
    if (n.compileError !== null) sqls.push(['Compile error', n.compileError]);
    if (n.rawSql !== null) sqls.push(['Source', n.rawSql]);
    if (sqls.length) {
      const pre = h('pre', { class: 'sql', id: 'node-sql', text: sqls[0][1] });
      const buttons = sqls.map(([label, text], i) =>
        h('button', {
          class: i ? null : 'on',
          text: label,
          onclick: (ev) => {
            pre.textContent = text;
            for (const b of buttons) b.classList.toggle('on', b === ev.currentTarget);
          },
        }),
      );
      out.push(h('div', { class: 'tabs' }, buttons), pre);
    }
    const config = Object.fromEntries(Object.entries(n.config).filter(([, v]) => v !== undefined && v !== null));
    if (Object.keys(config).length) {
      out.push(h('h3', { text: 'Config' }));
      out.push(h('pre', { class: 'sql', text: JSON.stringify(config, null, 2) }));
    }
    const prof = DATA.profiles.find((x) => x.id === n.id);
    if (prof) out.push(h('p', {}, [h('a', { class: 'link', href: '#profile-' + cssId(prof.name), text: 'See the data profile of ' + prof.name })]));
    return out;
  }

  // ---- Charts ------------------------------------------------------------------------------------
  const W = 760;
  /** Horizontal bars: one row per item, label on the left, optional lighter segment after the bar. */
  function hbars(items, opts) {
    opts = opts || {};
    const width = opts.width || W;
    const labelW = opts.labelW || 220;
    const rowH = opts.rowH || 26;
    const textW = opts.textW || 150;
    const barW = width - labelW - textW;
    const max = Math.max(1, ...items.map((it) => it.value + (it.extra || 0)));
    const height = items.length * rowH + 8;
    const g = s('svg', { viewBox: '0 0 ' + width + ' ' + height, class: opts.cls || 'bars', role: 'img' });
    items.forEach((it, i) => {
      const y = 4 + i * rowH;
      const w = (Math.max(0, it.value) / max) * barW;
      const xw = ((it.extra || 0) / max) * barW;
      g.appendChild(s('text', { x: labelW - 8, y: y + rowH / 2 + 4, 'text-anchor': 'end', 'font-size': 12, fill: '#1d2430', text: truncate(it.label, Math.floor(labelW / 7)) }, s('title', { text: it.label })));
      g.appendChild(s('rect', { class: 'bar', x: labelW, y: y + 3, width: Math.max(w, it.value > 0 ? 1 : 0), height: rowH - 8, fill: it.color || 'var(--bar)', rx: 2 }, s('title', { text: it.label + ': ' + fmt(it.value) })));
      if (xw > 0) g.appendChild(s('rect', { x: labelW + w, y: y + 3, width: xw, height: rowH - 8, fill: '#f3b4b4', rx: 2 }, s('title', { text: it.extraTitle || '' })));
      g.appendChild(s('text', { x: labelW + w + xw + 6, y: y + rowH / 2 + 4, 'font-size': 11.5, fill: '#5d6776', text: it.text || fmt(it.value) }));
    });
    return g;
  }
  function truncate(t, n) {
    t = String(t);
    return t.length > n ? t.slice(0, n - 1) + '…' : t;
  }

  function renderChart(c) {
    const box = h('div', { class: 'card chart', id: 'chart-' + cssId(c.name), 'data-chart': c.name }, [h('h3', { text: c.title })]);
    if (c.description) box.appendChild(h('div', { class: 'sub' }, paragraphs(c.description)));
    if (!c.rows || !c.rows.length) {
      box.appendChild(h('p', { class: 'empty', text: c.note || 'No data.' }));
      return box;
    }
    const sp = c.spec;
    if (sp.type === 'funnel') {
      const items = c.rows.map((r, i) => ({
        label: fmt(r[sp.x]),
        value: Number(r[sp.y]),
        extra: i ? Number(r[sp.removed] || 0) : 0,
        extraTitle: 'removed: ' + fmt(r[sp.removed]),
        text: NUM.format(Number(r[sp.y])) + (i ? '  (−' + NUM.format(Number(r[sp.removed] || 0)) + ')' : ''),
      }));
      box.appendChild(hbars(items, { cls: 'bars funnel', labelW: 290, textW: 170 }));
      if (c.check) box.appendChild(h('div', { class: 'check ' + (c.check.ok ? 'ok' : 'bad'), text: (c.check.ok ? '✓ adds up: ' : '✗ does not add up: ') + c.check.message }));
    } else {
      const groups = new Map();
      for (const r of c.rows) {
        const k = sp.group ? fmt(r[sp.group]) : '';
        if (!groups.has(k)) groups.set(k, []);
        groups.get(k).push(r);
      }
      for (const [k, rows] of groups) {
        if (sp.group) box.appendChild(h('div', { class: 'sub', style: 'font-weight:600;margin-top:6px', text: sp.group + ': ' + k }));
        box.appendChild(
          hbars(
            rows.map((r) => ({
              label: fmt(r[sp.x]),
              value: Number(r[sp.y]),
              text: fmt(r[sp.y]) + ((sp.labels || []).length ? '  (' + sp.labels.map((l) => l + ' ' + fmt(r[l])).join(', ') + ')' : ''),
            })),
            { labelW: 110, textW: 330 },
          ),
        );
      }
    }
    const cols = Object.keys(c.rows[0]);
    if (sp.type === 'bar') box.appendChild(h('div', { class: 'sub', text: 'bar length: ' + sp.y }));
    const details = h('details', {}, [h('summary', { text: 'The rows as a table' }), table(cols, c.rows.map((r) => cols.map((k) => r[k])), cols.map((k) => typeof c.rows[0][k] === 'number'), true)]);
    if (sp.type === 'funnel') details.open = true;
    box.appendChild(details);
    return box;
  }
  main.appendChild(
    h('section', { id: 'charts' }, [
      h('h2', { text: 'Charts' }),
      DATA.charts.length ? h('div', { class: 'charts' }, DATA.charts.map(renderChart)) : h('p', { class: 'empty', text: 'No model declares a chart (config: meta: chart: in its properties).' }),
    ]),
  );

  // ---- Data profile ------------------------------------------------------------------------------
  function cssId(t) {
    return String(t).replace(/[^A-Za-z0-9_-]/g, '-');
  }
  function histogram(bins, name) {
    const width = 320;
    const top = 14;
    const height = 96;
    const max = Math.max(1, ...bins.map((b) => b.count));
    const bw = width / bins.length;
    const g = s('svg', { viewBox: '0 0 ' + width + ' ' + (top + height + 16), class: 'histogram', role: 'img', 'aria-label': 'histogram of ' + name });
    // The scale, above the bars so that no bar hides it.
    g.appendChild(s('text', { x: 0, y: 10, 'font-size': 9.5, fill: '#5d6776', text: 'histogram · tallest bin ' + NUM.format(max) + ' rows' }));
    bins.forEach((b, i) => {
      const hh = (b.count / max) * height;
      g.appendChild(s('rect', { class: 'bar', x: i * bw + 0.5, y: top + height - hh, width: Math.max(bw - 1, 0.5), height: Math.max(hh, b.count ? 1 : 0), fill: 'var(--bar)' }, s('title', { text: fmt(b.start) + ' – ' + fmt(b.end) + ': ' + NUM.format(b.count) })));
    });
    g.appendChild(s('line', { x1: 0, x2: width, y1: top + height + 0.5, y2: top + height + 0.5, stroke: '#9aa5b5' }));
    g.appendChild(s('text', { x: 0, y: top + height + 13, 'font-size': 10, fill: '#5d6776', text: fmt(bins[0].start) }));
    g.appendChild(s('text', { x: width, y: top + height + 13, 'font-size': 10, fill: '#5d6776', 'text-anchor': 'end', text: fmt(bins[bins.length - 1].end) }));
    return g;
  }
  function renderProfile(sp) {
    const pr = sp.profile;
    const box = h('div', { class: 'card', id: 'profile-' + cssId(sp.name), 'data-profile': sp.name }, [
      h('h3', { text: sp.name + ' · ' + NUM.format(pr.rows) + ' rows · ' + pr.columns.length + ' columns' }),
      h('div', { class: 'sub', text: pr.relation }),
      table(
        ['column', 'type', 'nulls', 'null %', 'distinct', 'blank', 'min', 'max', 'mean'],
        pr.columns.map((c) => [c.name, c.type, c.nulls, h('span', { class: c.nullShare > 0 ? 'bad-share' : null, text: pct(c.nullShare) }), c.distinct, c.blanks, c.min, c.max, c.mean]),
        [false, false, true, true, true, true, false, false, true],
        true,
      ),
    ]);
    const cards = h('div', { class: 'profile-cols' });
    for (const c of pr.columns) {
      const card = h('div', { class: 'card colcard' }, [h('h4', {}, [c.name, h('span', { class: 'type', text: c.type })])]);
      if (c.histogram && c.histogram.length) card.appendChild(histogram(c.histogram, c.name));
      if (c.top.length) {
        const unique = c.distinct === c.nonNull && c.top.every((t) => t.count === 1);
        if (unique) card.appendChild(h('div', { class: 'sub', text: 'every value is distinct' }));
        else {
          card.appendChild(h('div', { class: 'sub', text: 'most frequent values' }));
          card.appendChild(hbars(c.top.map((t) => ({ label: fmt(t.value), value: t.count, text: NUM.format(t.count) + ' (' + pct(pr.rows ? t.count / pr.rows : 0) + ')' })), { width: 380, labelW: 150, textW: 100, rowH: 20, cls: 'bars top' }));
        }
      }
      if (card.childNodes.length > 1) cards.appendChild(card);
    }
    box.appendChild(cards);
    return box;
  }
  main.appendChild(
    h('section', { id: 'profile' }, [
      h('h2', { text: 'Raw data profile' }),
      DATA.profiles.length ? h('div', {}, DATA.profiles.map(renderProfile)) : h('p', { class: 'empty', text: 'No profile: run `model build` first, then `model docs generate`.' }),
    ]),
  );
  document.body.setAttribute('data-ready', 'true');
})();

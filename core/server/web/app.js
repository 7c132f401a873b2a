// The sendsync dashboard: signs in with an admin API token (kept in sessionStorage, never in the
// URL) and shows the service's state and the queues people act on, through /api/v1. Every value
// from the API is children's personal data: it reaches the page only as text nodes (el() below),
// never as HTML. Views are chosen by the URL's #fragment; ids in it are record ids, never data.
'use strict';

const API = '/api/v1';
const TOKEN_KEY = 'sendsync.token';

let who = null;  // {name, role, school_urn, permissions} of the signed-in token
// Bumped by every route, sign-in and sign-out: an answer that arrives for an older one is dropped,
// so a slow view never paints over a newer one or another token's session.
let generation = 0;

// ---- DOM helpers ------------------------------------------------------------------------------

// Builds an element. Children that are strings become text nodes; null/false are skipped.
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

const $ = (id) => document.getElementById(id);
const show = (node, on) => { node.hidden = !on; };

function announce(text) { $('announce').textContent = text; }

// A JSON value as readable text; `undefined`/null mean the side has no value.
function valueText(v) {
  if (v === undefined || v === null) return '(absent)';
  return typeof v === 'string' ? v : JSON.stringify(v, null, 2);
}

function stateTag(state) {
  const s = String(state || 'unknown');
  return el('span', { class: 'state state-' + s.replace(/[^a-z_]/g, '') }, s.replace(/_/g, ' '));
}

// A table with a header row; `rows` are arrays of cells (strings or nodes).
function table(caption, headers, rows, cls) {
  return el('table', { class: cls },
    el('caption', { class: 'meta' }, caption),
    el('thead', {}, el('tr', {}, headers.map((h) => el('th', { scope: 'col' }, h)))),
    el('tbody', {}, rows.map((r) => el('tr', {}, r.map((c) => el('td', {}, c))))));
}

function empty(text) { return el('p', { class: 'empty' }, text); }

// ---- API --------------------------------------------------------------------------------------

class ApiError extends Error {
  constructor(status, title, detail) {
    super(detail ? title + ': ' + detail : title);
    this.status = status;
  }
}

async function api(method, path, body) {
  const headers = { Authorization: 'Bearer ' + (sessionStorage.getItem(TOKEN_KEY) || '') };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res;
  try {
    res = await fetch(API + path, {
      method, headers, cache: 'no-store', credentials: 'omit',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    throw new ApiError(0, 'Cannot reach sendsync', 'check that the service is running and try again');
  }
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
  if (!res.ok) {
    const title = (data && data.title) || res.statusText || 'Request failed';
    // Invalid input and failed checks list each problem; they say more than the summary.
    const problems = data && Array.isArray(data.errors) && data.errors.length
      ? data.errors.map((e) => (e.path ? e.path + ': ' : '') + e.message).join('; ')
      : data && data.detail;
    throw new ApiError(res.status, title, problems);
  }
  return data;
}

// Up to `pages` pages of a list ({items, next_cursor}); `more` says whether items were left.
async function list(path, pages = 4) {
  let items = [];
  let cursor = null;
  for (let page = 0; page < pages; page++) {
    const sep = path.includes('?') ? '&' : '?';
    const q = 'limit=200' + (cursor ? '&cursor=' + encodeURIComponent(cursor) : '');
    const data = await api('GET', path + sep + q);
    items = items.concat((data && data.items) || []);
    cursor = data && data.next_cursor;
    if (!cursor) break;
  }
  items.more = Boolean(cursor);
  return items;
}

const enc = encodeURIComponent;

// School names by URN, from GET /schools (loaded once a session); a school without a recorded
// name shows as its URN.
let schoolNames = new Map();
function schoolName(urn) {
  if (!urn) return '—';
  const n = schoolNames.get(urn);
  return n ? n + ' (' + urn + ')' : String(urn);
}

async function loadSchoolNames() {
  schoolNames = new Map();
  if (!can('links.read')) return;
  for (const school of await list('/schools')) if (school.name) schoolNames.set(school.urn, school.name);
}

// A link to a pupil's page (#pupil/UPN), reading `text` (her name, else the UPN).
function pupilLink(upn, text) {
  if (!upn) return text || '';
  return el('a', { href: '#pupil/' + enc(upn), class: 'pupil-link' }, text || upn);
}

// ---- sign in / out ----------------------------------------------------------------------------

function signOut(message) {
  generation++;
  sessionStorage.removeItem(TOKEN_KEY);
  show($('view'), false);
  show($('nav'), false);
  show($('sign-out'), false);
  show($('login'), true);
  $('login-error').textContent = message || '';
  $('token').value = '';
  $('token').focus();
}

async function signIn(event) {
  event.preventDefault();
  const token = $('token').value.trim();
  if (!token) {
    $('login-error').textContent = 'Enter your API token.';
    return;
  }
  generation++;  // whatever was loading for an earlier token is stale now
  sessionStorage.setItem(TOKEN_KEY, token);
  $('token').value = '';
  try {
    who = await api('GET', '/whoami');
  } catch (e) {
    who = null;
    signOut(e.status === 401
      ? 'That token was not accepted. Check it was copied whole, or ask your IT admin for a new one.'
      : e.message);
    return;
  }
  $('login-error').textContent = '';
  try {
    await loadSchoolNames();
  } catch (e) {
    schoolNames = new Map();  // names are a help, not a need: URNs are shown without them
  }
  if (!location.hash || location.hash === '#login') location.hash = '#overview';
  route();
}

// ---- views ------------------------------------------------------------------------------------

// What each view needs to be allowed, for the 403 message ("your token's role cannot ...").
const VIEWS = {
  overview: { title: 'Overview', may: 'see the links', render: overview },
  run: { title: 'Run', may: 'see runs', render: runDetail },
  conflicts: { title: 'Conflicts', may: 'see conflicts', render: conflicts },
  quarantine: { title: 'Quarantine', may: 'see quarantined records', render: quarantine },
  matches: { title: 'Match queue', may: 'see the match queue', render: matches },
  'dead-letters': { title: 'Dead letters', may: 'see undelivered changes', render: deadLetters },
  register: { title: 'SEN register', may: 'see pupils', render: register },
  due: { title: 'Due reviews and statutory clocks', may: 'see due reviews', render: due },
  referrals: { title: 'Referrals', may: 'see referrals', render: referrals },
  pupil: { title: 'Pupil', may: 'see pupils', render: pupil },
  plugins: { title: 'Plugins', may: 'see plugins', render: plugins },
};

// Shows in the navigation only the pages the signed-in token's role may open: a link to a page
// that would answer "your token's role cannot ..." is no use to anyone.
function applyNav() {
  const perms = new Set((who && who.permissions) || []);
  for (const li of document.querySelectorAll('#nav li[data-perm]')) {
    const allowed = perms.has(li.dataset.perm) && !(li.hasAttribute('data-global') && who.school_urn);
    show(li, allowed);
  }
}

async function route() {
  const mine = ++generation;
  if (!sessionStorage.getItem(TOKEN_KEY)) {
    signOut('');
    return;
  }
  const [name, arg] = (location.hash.slice(1) || 'overview').split('/');
  const view = VIEWS[name] || VIEWS.overview;
  show($('login'), false);
  show($('nav'), Boolean(who));  // once the token's permissions are known (applyNav)
  show($('sign-out'), true);
  for (const a of document.querySelectorAll('#nav a')) {
    if (a.getAttribute('href') === '#' + name) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  const root = $('view');
  destroyCharts();
  root.replaceChildren(el('h1', { id: 'view-title', tabindex: '-1' }, view.title),
    el('p', { class: 'meta' }, 'Loading…'));
  show(root, true);
  try {
    if (!who) {
      const me = await api('GET', '/whoami');
      if (mine !== generation) return;
      who = me;
      await loadSchoolNames();
      if (mine !== generation) return;
    }
    applyNav();
    show($('nav'), true);
    const body = await view.render(arg);
    if (mine !== generation) return;
    root.replaceChildren(el('h1', { id: 'view-title', tabindex: '-1' }, view.title),
      el('p', { class: 'meta' }, 'Signed in as ' + who.name + ' (' + who.role +
        (who.school_urn ? ', school ' + schoolName(who.school_urn) : '') + ')'), body);
    if (typeof body.afterShow === 'function') body.afterShow();
  } catch (e) {
    if (mine === generation) fail(e, view.may);
  }
}

// Shows an error from the API in the current view; a rejected token goes back to sign-in.
function fail(e, may) {
  if (e.status === 401) {
    who = null;
    signOut('Your session has ended or the token was revoked. Sign in again.');
    return;
  }
  const text = e.status === 403
    ? 'Your token\'s role cannot ' + may + (who ? ' (' + who.role + ')' : '') + '. Ask your IT admin if you need it.'
    : e.message;
  const root = $('view');
  const old = root.querySelector('.problem');
  if (old) old.remove();
  root.insertBefore(el('p', { class: 'problem', role: 'alert' }, text), root.children[1] || null);
  const loading = root.querySelector('p.meta');
  if (loading && loading.textContent === 'Loading…') loading.remove();
}

// A button that calls the API, then announces the outcome and redraws the view.
function action(label, may, fn, done, attrs) {
  return el('button', Object.assign({ type: 'button' }, attrs || {}, {
    onclick: async (ev) => {
      const button = ev.currentTarget;  // gone from the event once we await
      button.disabled = true;
      try {
        await fn();
        announce(done);
        await route();
      } catch (e) {
        button.disabled = false;
        fail(e, may);
      }
    },
  }), label);
}

// Whether the signed-in token may do `permission` (the server decides; this only hides buttons
// that would be refused).
function can(permission) {
  return Boolean(who && Array.isArray(who.permissions) && who.permissions.includes(permission));
}

function when(t) { return t ? String(t).replace('T', ' ').replace(/:\d\dZ$/, ' UTC') : '—'; }

function counts(summary) {
  const s = summary || {};
  const keys = ['pulled', 'applied', 'quarantined', 'conflicts', 'matches', 'pushed', 'dead_lettered'];
  return keys.filter((k) => s[k] !== undefined).map((k) => k.replace('_', '-') + ' ' + s[k]).join(', ') || '—';
}

// ---- a running run's progress -------------------------------------------------------------------

function number(n) { return Number(n).toLocaleString('en-GB'); }

// An API time to the second: "2026-12-08 02:40:13 UTC".
function clockTime(t) { return t ? String(t).replace('T', ' ').replace(/Z$/, ' UTC') : '—'; }

function duration(seconds) {
  const s = Math.max(1, Math.round(seconds));
  if (s < 90) return s + ' s';
  const m = Math.round(s / 60);
  return m < 90 ? m + ' min' : Math.floor(m / 60) + ' h ' + (m % 60) + ' min';
}

// What a running run has done, in words and as a progress bar (API: RunProgress): "pupil records:
// 5,200 of 20,000 (26 %), 2,400 a second, about 7 s left". Without a total (the adapter cannot know
// it) the bar is indeterminate and there is no time left.
function progressView(run) {
  const p = run.progress;
  if (!p) return el('p', { class: 'progress meta' }, 'Started; no progress reported yet.');
  const pull = p.phase === 'pull';
  const what = pull ? (p.kind || 'records') + ' records read' : 'changes delivered';
  const known = typeof p.total === 'number' && p.total > 0;
  const done = known ? Math.min(p.records, p.total) : p.records;
  const percent = known ? Math.floor((100 * done) / p.total) : null;
  let text = (pull ? 'Reading ' + (p.kind || 'records') : 'Delivering changes') + ': ' + number(p.records) +
    (known ? ' of ' + number(p.total) + ' (' + percent + ' %)' : pull ? ' so far' : ' delivered');
  if (p.rate > 0) text += ', ' + number(p.rate) + ' a second';
  if (typeof p.seconds_left === 'number') text += ', about ' + duration(p.seconds_left) + ' left';
  const bar = el('progress', {
    'aria-label': 'Run ' + run.id + ': ' + what,
    'aria-valuetext': known ? number(p.records) + ' of ' + number(p.total) + ' ' + what : number(p.records) + ' ' + what,
  });
  if (known) {
    bar.max = p.total;
    bar.value = done;
  }
  return el('div', { class: 'progress', 'data-run': run.id },
    el('p', {}, text), bar,
    el('p', { class: 'meta' }, 'As of ' + clockTime(p.updated_at) + ', on host ' + (p.host || 'unknown') +
      (p.started_at ? '; this step began ' + when(p.started_at) : '')));
}

// Keeps a running run's progress up to date while its view is open: asks for the run every two
// seconds and redraws `node`; once the run has ended, redraws the whole view (its final counts).
// Stops when the view changes (a newer route).
function watchRun(id, node) {
  const mine = generation;
  const tick = async () => {
    if (mine !== generation) return;
    let r;
    try {
      r = await api('GET', '/runs/' + enc(id));
    } catch (e) {
      return;  // the next route shows what went wrong; a watcher only watches
    }
    if (mine !== generation) return;
    if (r.status !== 'running') {
      announce('Run ' + r.id + ' of ' + r.link + ' has ended: ' + r.status.replace(/_/g, ' ') + '.');
      route();
      return;
    }
    const fresh = progressView(r);
    node.replaceWith(fresh);
    node = fresh;
    setTimeout(tick, 2000);
  };
  setTimeout(tick, 2000);
  return node;
}

// A running run's progress, kept up to date; for a run that has ended, nothing.
function liveProgress(run) {
  return run && run.status === 'running' ? watchRun(run.id, progressView(run)) : null;
}

function more(items) {
  return items.more ? el('p', { class: 'meta' }, 'Showing the first ' + items.length + '; narrow by school or link to see the rest.') : null;
}

// Overview: per school, its links with state, last run, counts and next run; then recent runs.
async function overview() {
  const [schools, links] = await Promise.all([list('/schools'), list('/links')]);
  if (!links.length) return empty('No links yet. An IT admin adds them with sendsync link add.');
  const out = [];
  for (const school of schools) {
    const rows = links.filter((l) => l.school_urn === school.urn).map((l) => [
      l.name, l.adapter,
      el('span', {}, stateTag(l.running ? 'running' : l.enabled ? 'enabled' : 'disabled'),
        l.consecutive_failures ? ' (' + l.consecutive_failures + ' failed in a row)' : '',
        l.last_run ? liveProgress(l.last_run) : null),
      l.schedule,
      l.last_run ? el('a', { href: '#run/' + l.last_run.id }, stateTag(l.last_run.status), ' ' + when(l.last_run.started_at)) : 'never run',
      l.last_run ? counts(l.last_run.summary) : '—',
      l.next_run_at ? when(l.next_run_at) : (l.enabled ? 'on demand' : '—'),
      can('links.run') && l.enabled
        ? action('Run ' + l.name + ' now', 'run links', () => api('POST', '/links/' + enc(l.name) + '/run'),
          'Run of ' + l.name + ' started; its progress shows beside the link and under Recent runs.', { id: 'run-link-' + l.name })
        : '',
    ]);
    const heading = school.name ? school.name + ' (' + school.urn + ')' : 'School ' + school.urn;
    out.push(el('section', { class: 'school' }, el('h2', {}, heading),
      table('Links of ' + heading, ['Link', 'Adapter', 'State', 'Schedule', 'Last run', 'Counts', 'Next run', 'Action'], rows)));
  }
  if (can('runs.read')) {
    const runs = (await api('GET', '/runs?limit=10')).items || [];
    out.push(el('h2', {}, 'Recent runs'), runs.length
      ? table('The ten most recent runs', ['Run', 'Link', 'Mode', 'Status', 'Started', 'Counts'],
        runs.map((r) => [el('a', { href: '#run/' + r.id }, 'Run ' + r.id), r.link, r.mode, stateTag(r.status), when(r.started_at),
          r.status === 'running' ? el('span', {}, counts(r.summary), liveProgress(r)) : counts(r.summary)]))
      : empty('No runs yet.'));
  }
  return el('div', {}, out);
}

async function runDetail(id) {
  const r = await api('GET', '/runs/' + enc(id || ''));
  const s = r.summary || {};
  const keys = ['pulled', 'created', 'updated', 'deleted', 'unchanged', 'applied', 'quarantined', 'conflicts',
    'matches', 'pushed', 'retried', 'dead_lettered', 'rejected', 'duration_ms'].filter((k) => typeof s[k] === 'number');
  return el('div', {},
    el('h2', {}, 'Run ' + r.id + ' of ' + r.link),
    el('p', {}, stateTag(r.status), ' — ' + r.mode + ', school ' + schoolName(r.school_urn) + ', started ' + when(r.started_at) +
      (r.status === 'running' ? ', not finished yet' : ', finished ' + when(r.finished_at))),
    r.error ? el('p', { class: 'problem' }, 'Error: ' + r.error) : null,
    r.status === 'running' ? el('section', { 'aria-labelledby': 'run-progress' },
      el('h2', { id: 'run-progress' }, 'Progress'), liveProgress(r)) : null,
    keys.length || r.status !== 'running'
      ? table('What the run did', ['Count', 'Number'], keys.map((k) => [k.replace(/_/g, ' ').replace('ms', '(ms)'), String(s[k])]), 'counts')
      : null,
    Array.isArray(s.changes) && s.changes.length
      ? el('div', {}, el('h2', {}, 'Changes'), el('ul', {}, s.changes.map((c) =>
        el('li', {}, [c.action, c.kind, c.id, c.upn ? '(pupil ' + c.upn + ')' : '', (c.fields || []).join(', ')].join(' ')))))
      : null,
    el('p', {}, el('a', { href: '#overview' }, 'Back to the overview')));
}

function side(cls, heading, value) {
  return el('div', { class: 'side ' + cls }, el('h3', {}, heading), el('pre', {}, valueText(value)));
}

// Record fields in words (docs/records.md), for people reading a conflict; others are spelled out
// from their name.
const FIELD_LABEL = {
  upn: 'UPN', former_upn: 'former UPN', uln: 'ULN', legal_surname: 'legal surname', legal_forename: 'legal forename',
  middle_names: 'middle names', preferred_surname: 'preferred surname', preferred_forename: 'preferred forename',
  dob: 'date of birth', sex: 'sex', nc_year: 'NC year (year group)', school_urn: 'school (URN)', laestab: 'LA and establishment number',
  on_roll_from: 'on roll from', on_roll_to: 'on roll until', home_la: 'home LA', eal: 'English as an additional language',
  first_language: 'first language', contacts: 'contacts', attendance: 'attendance', attainment: 'attainment',
  provision: 'SEN status (census SEN provision)', provision_start: 'date the SEN status began', local_status: 'the school\'s own SEN status',
  needs: 'needs (ranked)', history: 'SEN status history', sen_unit: 'in an SEN unit', resourced_provision: 'in resourced provision',
  parents_informed: 'date parents were told of SEN provision', key_adult: 'key adult', agencies: 'outside agencies',
  stage_model: 'stage model', stage: 'stage', start: 'start date', end: 'end date', assessment_summary: 'assessment summary',
  outcomes: 'outcomes and targets', planned_provision: 'planned provision', review_date: 'review date', status: 'status',
  completed: 'date completed', area: 'area of need', intervention: 'intervention', wave: 'wave', group_size: 'group size',
  sessions_per_week: 'sessions a week', minutes_per_session: 'minutes a session', staff_role: 'staff role', hourly_rate: 'hourly rate (£)',
  resources_cost: 'resources cost (£ a year)', baseline: 'entry score', exit: 'exit score', date: 'date', review_kind: 'kind of review',
  pupil_voice: 'the pupil\'s views', parent_voice: 'the parents\' views', parents_met: 'met the parents', progress: 'progress',
  impact: 'impact', decision: 'decision', next_review: 'next review',
};
const KIND_LABEL = { pupil: 'details', sen: 'SEN record', cycle: 'plan-do-review cycle', provision: 'provision',
  review: 'review', referral: 'request for an EHC needs assessment', ehc_plan: 'EHC plan' };
const fieldLabel = (f) => FIELD_LABEL[f] || String(f).replace(/_/g, ' ');

async function conflicts() {
  const items = await list('/conflicts?status=open');
  if (!items.length) return empty('No conflicts — nothing needs you.');
  return el('div', {}, more(items), items.map((c) => {
    const whole = el('input', { type: 'checkbox', id: 'whole-' + c.id });
    const resolve = (take) => () => api('POST', '/conflicts/' + c.id + '/resolve', { take, whole_record: whole.checked });
    const allowed = can('conflicts.resolve');
    const system = c.link + (c.adapter ? ' (' + c.adapter + ')' : '');
    const whose = c.name ? c.name + '\'s ' : 'the pupil\'s ';
    return el('article', { class: 'card conflict', 'aria-labelledby': 'conflict-' + c.id },
      el('h2', { id: 'conflict-' + c.id }, whose + (KIND_LABEL[c.kind] || c.kind) + ': ' + fieldLabel(c.field)),
      el('p', {}, c.upn ? pupilLink(c.upn, c.name || c.upn) : null, c.upn ? ' (UPN ' + c.upn + '), ' : '',
        'school ' + schoolName(c.school_urn) + '. sendsync and ' + system + ' changed it differently since they last agreed; seen ' + when(c.created_at) + '.'),
      el('p', { class: 'meta' }, 'Conflict ' + c.id + ' on field ' + c.field + ' of ' + c.kind + ' record ' + c.record_id),
      el('div', { class: 'sides' },
        side('side-base', 'Last agreed by both', c.base),
        side('side-ours', 'sendsync (the hub) holds', c.ours),
        side('side-theirs', system + ' says', c.theirs)),
      allowed ? el('div', { class: 'actions' },
        action('Keep sendsync\'s', 'resolve conflicts', resolve('ours'), 'Conflict ' + c.id + ' resolved: kept the hub\'s value.', { class: 'take-ours' }),
        action('Take ' + c.link + '\'s', 'resolve conflicts', resolve('theirs'), 'Conflict ' + c.id + ' resolved: took ' + c.link + '\'s value.', { class: 'take-theirs primary' }),
        el('span', {}, whole, ' ', el('label', { for: 'whole-' + c.id }, 'the same for every open conflict of this record from ' + c.link)))
        : el('p', { class: 'meta' }, 'Your token\'s role cannot resolve conflicts.'));
  }));
}

// The list omits raw payloads; each item is fetched whole to show what arrived.
async function withDetails(path, items) {
  return Promise.all(items.map((i) => api('GET', path + '/' + i.id)));
}

// Quarantine: the open items grouped by link and reason code (the first reason's), with filters
// for both kept in the address (#quarantine/link=tool&code=DATE_INVALID), a tick box on each item
// and each group, and Retry selected / Discard selected (with a reason) through the bulk API. The
// raw payload of each item is folded away until asked for.
async function quarantine(arg) {
  const chosen = new URLSearchParams(arg || '');
  const listed = await list('/quarantine?status=open', 1);
  const all = await withDetails('/quarantine', listed);
  if (!all.length) return empty('Nothing in quarantine — nothing needs you.');
  const codeOf = (q) => ((q.reasons || [])[0] || {}).code || '(no code)';
  const links = Array.from(new Set(all.map((q) => q.link))).sort();
  const codes = Array.from(new Set(all.map(codeOf))).sort();
  const items = all.filter((q) => (!chosen.get('link') || q.link === chosen.get('link')) &&
    (!chosen.get('code') || codeOf(q) === chosen.get('code')));
  const allowed = can('quarantine.resolve');
  const select = (name, label, values) => el('p', {}, el('label', { for: 'quarantine-' + name }, label), ' ',
    el('select', { id: 'quarantine-' + name }, [['', 'Any']].concat(values.map((v) => [v, v]))
      .map(([v, t]) => el('option', { value: v, selected: (chosen.get(name) || '') === v }, t))));
  const form = el('form', { class: 'filters', 'aria-label': 'Filter the quarantine', onsubmit: (ev) => {
    ev.preventDefault();
    const f = new URLSearchParams();
    for (const k of ['link', 'code']) if ($('quarantine-' + k).value) f.set(k, $('quarantine-' + k).value);
    location.hash = '#quarantine' + (f.toString() ? '/' + f.toString() : '');
  } }, select('link', 'Link', links), select('code', 'Reason', codes), el('button', { type: 'submit' }, 'Show'));

  const boxes = [];  // [checkbox, item id]
  const selected = () => boxes.filter(([b]) => b.checked).map(([, id]) => id);
  const chosenCount = el('span', { 'aria-live': 'polite' }, 'None selected');
  const recount = () => { const n = selected().length; chosenCount.textContent = n ? n + ' selected' : 'None selected'; };
  const bulkReason = el('input', { type: 'text', id: 'bulk-reason', maxlength: 2000 });
  const bulk = (verb) => async () => {
    const ids = selected();
    if (!ids.length) throw new ApiError(400, 'Nothing selected', 'tick the records first');
    const body = { action: verb, ids };
    if (verb === 'discard') body.reason = bulkReason.value;
    const r = await api('POST', '/quarantine/bulk', body);
    const failed = (r.failed || []).map((f) => 'record ' + f.id + ': ' + f.detail).join('; ');
    announce((verb === 'retry' ? 'Applied ' : 'Discarded ') + r.done.length + ' of ' + ids.length + ' records' +
      (failed ? '. Not done: ' + failed : '.'));
  };
  const bulkBar = allowed ? el('div', { class: 'actions bulk', role: 'group', 'aria-label': 'With the selected records' },
    chosenCount,
    bulkAction('Retry selected', 'retry quarantined records', bulk('retry'), { class: 'bulk-retry' }),
    el('label', { for: 'bulk-reason' }, 'Reason to discard'), bulkReason,
    bulkAction('Discard selected', 'discard quarantined records', bulk('discard'), { class: 'bulk-discard danger' })) : null;

  const groups = new Map();
  for (const q of items) {
    const key = q.link + '\u0000' + codeOf(q);
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(q);
  }
  let g = 0;
  const sections = Array.from(groups.values()).map((group) => {
    const gid = 'qg-' + (++g);
    const first = group[0];
    const mine = [];
    const cards = group.map((q) => {
      const reason = el('input', { type: 'text', id: 'discard-' + q.id, maxlength: 2000 });
      const tick = el('input', { type: 'checkbox', id: 'pick-' + q.id, class: 'pick', onchange: recount });
      boxes.push([tick, q.id]);
      mine.push(tick);
      return el('article', { class: 'card quarantined', 'aria-labelledby': 'q-' + q.id },
        el('h3', { id: 'q-' + q.id }, q.kind + ' ' + q.source_id + ' from ' + q.link),
        el('p', { class: 'meta' }, 'Quarantined record ' + q.id + ', school ' + schoolName(q.school_urn) + ', first held ' + when(q.created_at) +
          (q.times_seen > 1 ? ', sent again ' + (q.times_seen - 1) + ' time(s) since, last ' + when(q.last_seen_at) : '')),
        q.upn ? el('p', {}, 'Pupil UPN ' + q.upn) : null,
        el('ul', { class: 'reasons', 'aria-label': 'Why it was held' }, (q.reasons || []).map((r) => el('li', {}, (r.path || '(record)') + ': ' + r.message + (r.code ? ' [' + r.code + ']' : '')))),
        el('details', { class: 'payload' }, el('summary', {}, 'Payload as received'), el('pre', { class: 'raw' }, q.raw || '')),
        allowed ? el('div', { class: 'actions' },
          el('span', {}, tick, ' ', el('label', { for: 'pick-' + q.id }, 'Select')),
          action('Retry', 'retry quarantined records', () => api('POST', '/quarantine/' + q.id + '/retry'), 'Quarantined record ' + q.id + ' applied.', { class: 'retry' }),
          el('label', { for: 'discard-' + q.id }, 'Reason to discard'), reason,
          action('Discard', 'discard quarantined records', () => api('POST', '/quarantine/' + q.id + '/discard', { reason: reason.value }),
            'Quarantined record ' + q.id + ' discarded.', { class: 'discard danger' }))
          : null);
    });
    const all = el('input', { type: 'checkbox', id: gid + '-all', class: 'pick-group', onchange: (ev) => {
      for (const b of mine) b.checked = ev.currentTarget.checked;
      recount();
    } });
    return el('section', { class: 'quarantine-group', 'aria-labelledby': gid },
      el('h2', { id: gid }, 'From ' + first.link + ': ' + codeOf(first) + ' (' + group.length + ')'),
      el('p', { class: 'meta' }, ((first.reasons || [])[0] || {}).message || ''),
      allowed ? el('p', {}, all, ' ', el('label', { for: gid + '-all' }, 'Select all ' + group.length + ' in this group')) : null,
      cards);
  });
  return el('div', {},
    el('p', { class: 'counts-line' }, el('strong', {}, String(all.length)), ' held, in ', String(groups.size), ' group(s) shown',
      items.length < all.length ? ' (' + items.length + ' match the filters)' : ''),
    form, bulkBar, more(listed),
    sections.length ? sections : empty('Nothing held matches these filters.'));
}

// Like action(), for a button whose work announces its own outcome.
function bulkAction(label, may, fn, attrs) {
  return el('button', Object.assign({ type: 'button' }, attrs || {}, {
    onclick: async (ev) => {
      const button = ev.currentTarget;
      button.disabled = true;
      try {
        await fn();
        await route();
      } catch (e) {
        button.disabled = false;
        fail(e, may);
      }
    },
  }), label);
}

async function matches() {
  const items = await withDetails('/matches', await list('/matches?status=open', 1));
  if (!items.length) return empty('No pupils waiting to be matched — nothing needs you.');
  return el('div', {}, items.map((m) => {
    const to = (target, label, done, cls) => action(label, 'resolve matches', () => api('POST', '/matches/' + m.id + '/resolve', { to: target }), done, { class: cls });
    const allowed = can('matches.resolve');
    return el('article', { class: 'card match', 'aria-labelledby': 'm-' + m.id },
      el('h2', { id: 'm-' + m.id }, m.kind + ' ' + m.source_id + ' from ' + m.link + (m.upn ? ' (UPN ' + m.upn + ')' : '')),
      el('p', {}, m.reason),
      el('ul', {}, (m.candidates || []).map((c) => el('li', {}, 'Hub pupil ' + c.record_id + ', UPN ' + (c.upn || '—') + ', born ' + (c.dob || '—') + (c.why ? ' — ' + c.why : ''),
        allowed ? [' ', to(c.record_id, 'Same pupil as ' + c.record_id, 'Match ' + m.id + ' linked to ' + c.record_id + '.', 'match-to')] : null))),
      el('h3', {}, 'Record as received'), el('pre', { class: 'raw' }, m.raw || ''),
      allowed ? el('div', { class: 'actions' },
        to('new', 'A new pupil', 'Match ' + m.id + ': created a new pupil.', 'match-new'),
        to('discard', 'Discard', 'Match ' + m.id + ' discarded.', 'match-discard danger')) : null);
  }));
}

async function deadLetters() {
  const [dead, rejected] = await Promise.all([list('/outbox?status=dead'), list('/outbox?status=rejected')]);
  const items = dead.concat(rejected);
  if (!items.length) return empty('No dead letters — every change was delivered or is on its way.');
  return table('Changes that could not be delivered', ['Change', 'Link', 'Record', 'Status', 'Tries', 'Last error', 'Action'],
    items.map((x) => ['#' + x.id + ' ' + x.op, x.link, x.kind + ' ' + x.record_id, stateTag(x.status), String(x.attempts), x.last_error,
      can('outbox.retry') ? action('Retry change ' + x.id, 'retry changes', () => api('POST', '/outbox/' + x.id + '/retry'),
        'Change ' + x.id + ' queued again; it goes with the link\'s next run.', { id: 'retry-outbox-' + x.id }) : '']));
}

// ---- Charts -----------------------------------------------------------------------------------
// Drawn with Chart.js from Debian's libjs-chart.js, which `sendsync serve` serves from the system
// as /ui/vendor/chart.js (index.html loads it; nothing comes from outside the service). Each chart
// sits in a <figure> with a caption, a text alternative giving its figures, and a link to the table
// holding the same figures; without the library the tables alone are shown, with a note saying so.

// Ink, GOV.UK blue and purple: each at least 4.5:1 on white, so bars, lines and labels are seen.
const CHART_INK = '#0b0c0c', CHART_K = '#1d70b8', CHART_E = '#912b88', CHART_GRID = '#b1b4b6';
let liveCharts = [];  // destroyed when the view is replaced

function destroyCharts() {
  for (const c of liveCharts) c.destroy();
  liveCharts = [];
}

// A figure for the table `tableId`: `kind` 'bar' with one series, or 'line' with several.
// `draw` is called once the figure is in the page (Chart.js sizes the canvas from its container).
function chartFigure(id, caption, summary, tableId, config) {
  const canvas = el('canvas', { id, role: 'img', 'aria-label': summary });
  const toTable = el('a', { href: '#' + tableId, class: 'to-table', onclick: (ev) => {
    // The address's #fragment chooses the view: move to the table without changing it.
    ev.preventDefault();
    const t = $(tableId);
    if (t) { t.scrollIntoView(); t.focus(); }
  } }, 'The same figures as a table');
  const figure = el('figure', { class: 'chart', 'aria-labelledby': id + '-caption' },
    el('figcaption', { id: id + '-caption' }, caption, ' (', toTable, ')'),
    el('div', { class: 'chart-box' }, canvas));
  figure.draw = () => {
    if (typeof Chart !== 'function') return false;
    liveCharts.push(new Chart(canvas, config));
    return true;
  };
  return figure;
}

function chartOptions(yTitle) {
  return {
    animation: false,
    responsive: true,
    maintainAspectRatio: false,
    color: CHART_INK,
    plugins: { legend: { labels: { color: CHART_INK } } },
    scales: {
      x: { ticks: { color: CHART_INK }, grid: { color: CHART_GRID } },
      y: { beginAtZero: true, ticks: { color: CHART_INK, precision: 0 }, grid: { color: CHART_GRID },
        title: { display: true, text: yTitle, color: CHART_INK } },
    },
  };
}

function barChart(id, caption, tableId, pairs) {
  const summary = 'Bar chart: ' + caption + '. ' +
    (pairs.length ? pairs.map(([a, b]) => a + ': ' + b).join(', ') + '.' : 'No pupils.');
  return chartFigure(id, caption, summary, tableId, {
    type: 'bar',
    data: { labels: pairs.map((p) => p[0]),
      datasets: [{ label: 'Pupils', data: pairs.map((p) => p[1]), backgroundColor: CHART_K, borderColor: CHART_INK, borderWidth: 1 }] },
    options: Object.assign(chartOptions('Pupils'), { plugins: { legend: { display: false } } }),
  });
}

// SEN register: the counts by primary need, by year group and K/E month by month (as charts and
// tables),
// then the pupils with filters (kept in the address as #register/sen_status=K&nc_year=5), a page
// at a time, and the filtered list as a CSV file.
const PUPIL_FILTERS = [['sen_status', 'SEN status'], ['primary_need', 'Primary need'], ['nc_year', 'NC year'], ['q', 'Name or UPN']];

function csvCell(v) {
  const t = v === null || v === undefined ? '' : String(v);
  // A leading = + - @ would be a formula in a spreadsheet: quote it as text.
  const safe = /^[=+\-@]/.test(t) ? "'" + t : t;
  return /[",\n\r]/.test(safe) || safe !== t ? '"' + safe.replace(/"/g, '""') + '"' : safe;
}

async function register(arg) {
  const chosen = new URLSearchParams(arg || '');
  const q = new URLSearchParams({ limit: '100' });
  for (const [k] of PUPIL_FILTERS) if (chosen.get(k)) q.set(k, chosen.get(k));
  if (chosen.get('cursor')) q.set('cursor', chosen.get('cursor'));
  const [reg, page] = await Promise.all([api('GET', '/register?months=12'), api('GET', '/pupils?' + q.toString())]);
  const byNeed = new Map(), byYear = new Map();
  let k = 0, e = 0, n = 0;
  for (const s of (reg && reg.schools) || []) {
    k += s.totals.K; e += s.totals.E; n += s.totals.N;
    for (const c of s.counts) {
      if (c.sen_status === 'N') continue;
      const need = c.primary_need || '(none recorded)', year = c.nc_year || '(none)';
      byNeed.set(need, (byNeed.get(need) || 0) + c.count);
      byYear.set(year, (byYear.get(year) || 0) + c.count);
    }
  }
  const sorted = (m) => Array.from(m.entries()).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  // NC years in school order (R before 1 … 14), the rest after them.
  const yearOrder = (y) => (y === 'R' ? 0 : /^\d+$/.test(y) ? Number(y) : y === 'N1' ? -2 : y === 'N2' ? -1 : 100);
  const years = Array.from(byYear.entries()).sort((a, b) => yearOrder(a[0]) - yearOrder(b[0]) || (a[0] < b[0] ? -1 : 1));
  const months = ((reg && reg.over_time) || []).map((p) => [p.date.slice(0, 7), p.K, p.E]);
  const needCaption = 'Pupils on the register (K and E) by primary need';
  const yearCaption = 'Pupils on the register (K and E) by NC year';
  const timeCaption = 'K and E on the first of each month';
  const withTableId = (t, id) => { t.id = id; t.setAttribute('tabindex', '-1'); return t; };
  const charts = [
    barChart('chart-by-need', needCaption, 'table-by-need', sorted(byNeed)),
    barChart('chart-by-year', yearCaption, 'table-by-year', years),
    chartFigure('chart-over-time', timeCaption,
      'Line chart: ' + timeCaption + '. ' + (months.length ? months.map(([m, kk, ee]) => m + ': K ' + kk + ', E ' + ee).join('; ') + '.' : 'No months.'),
      'table-over-time', {
        type: 'line',
        data: { labels: months.map((m) => m[0]), datasets: [
          { label: 'K: SEN support', data: months.map((m) => m[1]), borderColor: CHART_K, backgroundColor: CHART_K, pointStyle: 'circle', borderWidth: 3 },
          { label: 'E: EHC plan', data: months.map((m) => m[2]), borderColor: CHART_E, backgroundColor: CHART_E, pointStyle: 'rect', borderDash: [6, 4], borderWidth: 3 }] },
        options: chartOptions('Pupils'),
      }),
  ];
  const noCharts = el('p', { class: 'hint charts-unavailable', hidden: true },
    'Charts are unavailable (the chart library is not installed on this server); the tables below give every figure.');
  const figures = el('section', { class: 'figures', 'aria-label': 'The register in figures' },
    el('p', { class: 'counts-line' }, el('strong', {}, String(k)), ' at SEN support (K), ', el('strong', {}, String(e)),
      ' with an EHC plan (E), ', el('strong', {}, String(n)), ' with no SEN recorded'),
    noCharts,
    el('div', { class: 'charts' }, charts),
    withTableId(table(needCaption, ['Primary need', 'Pupils'], sorted(byNeed).map(([a, b]) => [a, String(b)]), 'by-need'), 'table-by-need'),
    withTableId(table(yearCaption, ['NC year', 'Pupils'], years.map(([a, b]) => [a, String(b)]), 'by-year'), 'table-by-year'),
    withTableId(table(timeCaption, ['Month', 'K', 'E'], months.map(([m, kk, ee]) => [m, String(kk), String(ee)]), 'over-time'), 'table-over-time'));
  const form = el('form', { class: 'filters', 'aria-label': 'Filter the pupils', onsubmit: (ev) => {
    ev.preventDefault();
    const f = new URLSearchParams();
    for (const [name] of PUPIL_FILTERS) {
      const v = $('pupils-' + name).value.trim();
      if (v) f.set(name, v);
    }
    location.hash = '#register' + (f.toString() ? '/' + f.toString() : '');
  } },
  PUPIL_FILTERS.map(([name, label]) => el('p', {}, el('label', { for: 'pupils-' + name }, label), ' ',
    name === 'sen_status'
      ? el('select', { id: 'pupils-' + name }, [['', 'Any'], ['K', 'K: SEN support'], ['E', 'E: EHC plan'], ['N', 'N: none']]
        .map(([v, t]) => el('option', { value: v, selected: chosen.get(name) === v }, t)))
      : el('input', { id: 'pupils-' + name, type: 'text', value: chosen.get(name) || '', size: name === 'q' ? 20 : 6 }))),
  el('button', { type: 'submit' }, 'Show'));
  const items = (page && page.items) || [];
  const header = ['UPN', 'Name', 'School', 'NC year', 'SEN status', 'Primary need', 'Needs', 'EHC plan'];
  const cells = (p) => [p.upn, p.name, p.school_urn, p.nc_year || '', p.sen_status, p.primary_need || '', p.needs.join(' '), p.ehc_plan ? 'yes' : 'no'];
  const csv = [header].concat(items.map(cells)).map((r) => r.map(csvCell).join(',')).join('\r\n') + '\r\n';
  const download = el('a', { href: URL.createObjectURL(new Blob([csv], { type: 'text/csv' })), download: 'sen-register.csv', class: 'csv' },
    'Download these ' + items.length + ' pupils as CSV');
  const parts = [figures, el('h2', {}, 'Pupils (' + ((page && page.total) || 0) + ')'), form, download];
  const linked = (p) => { const c = cells(p); c[0] = pupilLink(p.upn); c[2] = schoolName(p.school_urn); return c; };
  parts.push(items.length ? table('Pupils matching the filters, by name', header, items.map(linked), 'pupils') : empty('No pupil matches these filters.'));
  if (page && page.next_cursor) {
    const next = new URLSearchParams(chosen);
    next.set('cursor', page.next_cursor);
    parts.push(el('p', {}, el('a', { href: '#register/' + next.toString() }, 'Next ' + 100 + ' pupils')));
  }
  const body = el('div', {}, parts);
  body.afterShow = () => {
    const drawn = charts.map((f) => f.draw());
    if (!drawn.every(Boolean)) {
      for (const f of charts) f.hidden = true;
      noCharts.hidden = false;
    }
  };
  return body;
}

// Due & clocks: counts per state at the top, filters (who acts, statutory or the school's own,
// state; kept in the address as #due/owner=la&kind=statutory), then one table per state, most
// pressing first, statutory clocks first within each.
const DUE_STATES = [['overdue', 'Overdue'], ['due', 'Due soon'], ['suspended', 'Suspended'], ['upcoming', 'Running']];

async function due(arg) {
  const chosen = new URLSearchParams(arg || '');
  const q = new URLSearchParams({ within: '30', limit: '500' });
  for (const k of ['owner', 'kind', 'state']) if (chosen.get(k)) q.set(k, chosen.get(k));
  const data = await api('GET', '/due?' + q.toString());
  const items = (data && data.items) || [];
  const totals = (data && data.totals) || {};
  const select = (name, label, options) => el('p', {},
    el('label', { for: 'due-' + name }, label), ' ',
    el('select', { id: 'due-' + name, name },
      options.map(([v, text]) => el('option', { value: v, selected: chosen.get(name) === v }, text))));
  const form = el('form', { class: 'filters', 'aria-label': 'Filter the due list', onsubmit: (e) => {
    e.preventDefault();
    const f = new URLSearchParams();
    for (const k of ['owner', 'kind', 'state']) {
      const v = $('due-' + k).value;
      if (v) f.set(k, v);
    }
    location.hash = '#due' + (f.toString() ? '/' + f.toString() : '');
  } },
  select('owner', 'Who acts', [['', 'Anyone'], ['school', 'The school'], ['la', 'The LA'], ['family', 'The family']]),
  select('kind', 'Kind', [['', 'Every kind'], ['statutory', 'Statutory'], ['school', 'The school\'s own']]),
  select('state', 'State', [['', 'Every state']].concat(DUE_STATES)),
  el('button', { type: 'submit' }, 'Show'));
  const counts = el('ul', { class: 'counts', 'aria-label': 'How many in each state' },
    DUE_STATES.map(([k, label]) => el('li', {}, el('strong', {}, String(totals[k] || 0)), ' ' + label.toLowerCase())));
  const parts = [counts, form];
  if (data && data.next_cursor) parts.push(el('p', { class: 'meta' }, 'Showing the first ' + items.length + ' of ' + data.total + '; narrow with the filters to see the rest.'));
  if (!items.length) parts.push(empty('Nothing due or overdue in the next 30 days' + (arg ? ' with these filters.' : '.')));
  for (const [state, label] of DUE_STATES) {
    const rows = items.filter((d) => d.state === state)
      .sort((a, b) => (a.kind === b.kind ? 0 : a.kind === 'statutory' ? -1 : 1) || (a.due < b.due ? -1 : a.due > b.due ? 1 : 0));
    if (!rows.length) continue;
    parts.push(el('h2', {}, label + ' (' + rows.length + ')'),
      table(label + ': statutory clocks first, then soonest', ['Due', 'State', 'Pupil', 'School', 'What', 'Kind', 'Who', 'Note'],
        rows.map((d) => [d.due, stateTag(d.state), el('span', {}, pupilLink(d.upn, d.name), ' ' + (d.upn || '')), schoolName(d.school_urn), d.title,
          d.kind === 'statutory' ? 'statutory' : 'school\'s own', d.owner, d.detail || ''])));
  }
  return el('div', {}, parts);
}

async function referrals() {
  const items = await list('/referrals');
  if (!items.length) return empty('No requests for an EHC needs assessment yet.');
  return el('div', {}, more(items), table('Requests for an EHC needs assessment', ['Pupil', 'Status', 'LA', 'LA reference', 'Requested', 'Received', 'Decision'],
    items.map((r) => [el('span', {}, pupilLink(r.upn, r.name), ' ' + (r.upn || '')), stateTag(r.status), r.la || '—', r.la_reference || '—', r.request_date || '—',
      r.received_date || '—', r.decision ? r.decision + ' (' + (r.decision_date || '—') + ')' : '—'])));
}

async function plugins() {
  const items = await list('/plugins');
  const ok = items.filter((p) => p.ok);
  const refused = items.filter((p) => !p.ok);
  return el('div', {},
    el('h2', {}, 'Loaded'),
    ok.length ? table('Adapters that passed validation, each version with the links that use it', ['Adapter', 'Name', 'Version', 'Source', 'Links', 'Vendor', 'ABI', 'Reads', 'Writes', 'File'],
      ok.map((p) => [p.id, p.name, p.version, p.installed ? 'installed package' : 'bundled', (p.links || []).join(', ') || '—',
        p.vendor, p.abi, (p.reads || []).join(', '), (p.writes || []).join(', '), p.file]), 'loaded')
      : empty('No adapters in the plugin folder.'),
    el('h2', {}, 'Refused'),
    refused.length ? table('Files refused, with the reason', ['File', 'Reason'], refused.map((p) => [p.file, p.reason]), 'refused')
      : empty('No plugin was refused.'));
}

// ---- Pupil ------------------------------------------------------------------------------------
// One pupil from GET /pupils/{upn} (and /disclosures): who she is and her ids in each system, her
// SEN status over time, ranked needs, the Assess-Plan-Do-Review cycles with their outcomes and
// targets, provision with its cost and impact, reviews, her clocks on a timeline with today
// marked, and what each link was sent about her.

const SEN_STATUS = { N: 'N: no special educational need', K: 'K: SEN support', E: 'E: EHC plan',
  S: 'S: statement (legacy)', A: 'A: School Action (legacy)', P: 'P: School Action Plus (legacy)' };
const NEED_TYPE = { SPLD: 'specific learning difficulty', MLD: 'moderate learning difficulty',
  SLD: 'severe learning difficulty', PMLD: 'profound and multiple learning difficulty',
  SEMH: 'social, emotional and mental health', SLCN: 'speech, language and communication needs',
  ASD: 'autistic spectrum disorder', HI: 'hearing impairment', VI: 'vision impairment',
  MSI: 'multi-sensory impairment', PD: 'physical disability', OTH: 'other difficulty/disability',
  NSA: 'SEN support, no specialist assessment of type of need', DS: 'Down syndrome' };
const AREA = { CL: 'cognition and learning', SEMH: 'social, emotional and mental health',
  CI: 'communication and interaction', SP: 'sensory and/or physical' };

const words = (code) => String(code || '').replace(/_/g, ' ');
const money = (v) => typeof v === 'number' ? '£' + v.toFixed(2) : '—';
const needText = (t) => t + (NEED_TYPE[t] ? ' (' + NEED_TYPE[t] + ')' : '');
const measure = (m) => (m ? m.measure + ': ' + m.value + (m.date ? ' (' + m.date + ')' : '') : '—');

// Items in date order as an ordered list; `today` (yyyy-mm-dd) is placed among them, marked.
function timeline(cls, label, items, today) {
  const sorted = items.slice().sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
  const lis = [];
  let placed = !today;
  for (const i of sorted) {
    if (!placed && i.date > today) {
      lis.push(el('li', { class: 'today', 'aria-current': 'date' }, el('strong', {}, 'Today, ' + today)));
      placed = true;
    }
    lis.push(el('li', { class: i.cls || '' }, el('span', { class: 'when' }, i.date), ' ', i.body));
  }
  if (!placed) lis.push(el('li', { class: 'today', 'aria-current': 'date' }, el('strong', {}, 'Today, ' + today)));
  return el('ol', { class: 'timeline ' + cls, 'aria-label': label }, lis);
}

function pupilIdentity(p, ids) {
  const name = [p.legal_forename, p.middle_names, p.legal_surname].filter(Boolean).join(' ');
  const facts = [['UPN', p.upn], ['Former UPN', p.former_upn], ['ULN', p.uln], ['Date of birth', p.dob],
    ['Sex', p.sex], ['NC year', p.nc_year], ['School', p.school_urn ? schoolName(p.school_urn) : ''], ['On roll from', p.on_roll_from],
    ['Home LA', p.home_la], ['Preferred name', [p.preferred_forename, p.preferred_surname].filter(Boolean).join(' ')]]
    .filter(([, v]) => v);
  return el('section', { 'aria-labelledby': 'pupil-who' },
    el('h2', { id: 'pupil-who' }, name || p.upn),
    el('dl', { class: 'facts' }, facts.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, String(v))])),
    ids.length ? table('Her ids in each system', ['Link', 'Id there'], ids.map((i) => [i.link, i.id]), 'system-ids')
      : empty('No other system holds this pupil yet.'));
}

function pupilSen(sen, today) {
  if (!sen) return el('section', {}, el('h2', {}, 'SEN status'), empty('No SEN record: no special educational need recorded.'));
  const episodes = (Array.isArray(sen.history) ? sen.history : []).map((h) => ({
    date: h.start, body: (SEN_STATUS[h.provision] || h.provision) + (h.end ? ', until ' + h.end : ', current'),
  }));
  const hasCurrent = episodes.some((e) => !String(e.body).includes('until'));
  if (!hasCurrent && sen.provision_start)
    episodes.push({ date: sen.provision_start, body: (SEN_STATUS[sen.provision] || sen.provision) + ', current' });
  const needs = (sen.needs || []).slice().sort((a, b) => a.rank - b.rank);
  return el('section', { 'aria-labelledby': 'pupil-sen' },
    el('h2', { id: 'pupil-sen' }, 'SEN status: ' + (SEN_STATUS[sen.provision] || sen.provision)),
    sen.local_status ? el('p', {}, 'The school\'s own status: ' + sen.local_status) : null,
    el('h3', {}, 'Status over time'),
    episodes.length ? timeline('sen-history', 'SEN status over time', episodes, today) : empty('No dated history.'),
    el('h3', {}, 'Needs, ranked'),
    needs.length ? table('Her needs, primary first', ['Rank', 'Need', 'From', 'To'],
      needs.map((n) => [n.rank === 1 ? '1 (primary)' : String(n.rank), needText(n.type), n.start || '—', n.end || '—']), 'needs')
      : empty('No need type recorded.'));
}

function pupilCycles(cycles) {
  return el('section', { 'aria-labelledby': 'pupil-cycles' },
    el('h2', { id: 'pupil-cycles' }, 'Assess, plan, do, review (' + cycles.length + ')'),
    cycles.length ? cycles.map((c) => el('article', { class: 'card cycle' },
      el('h3', {}, 'Cycle from ' + c.start + ' — ' + words(c.status) + (c.completed ? ' ' + c.completed : '')),
      el('p', { class: 'meta' }, [c.stage_model ? 'Model ' + c.stage_model : '', c.stage ? 'stage ' + c.stage : '',
        c.review_date ? 'review due ' + c.review_date : ''].filter(Boolean).join(', ')),
      c.assessment_summary ? el('p', {}, el('strong', {}, 'Assess: '), c.assessment_summary) : null,
      (c.outcomes || []).length ? el('ul', { class: 'outcomes' }, c.outcomes.map((o) => el('li', {},
        el('strong', {}, 'Outcome: '), o.description,
        (o.targets || []).length ? table('Targets towards: ' + o.description, ['Target', 'Success looks like', 'Due', 'Progress'],
          o.targets.map((t) => [t.description, t.success_criteria || '—', t.due || '—', words(t.progress)]), 'targets') : null)))
        : el('p', { class: 'meta' }, 'No outcomes planned yet.')))
      : empty('No cycles recorded.'));
}

function pupilProvision(provision, perYear) {
  const rows = provision.map((x) => [x.intervention, AREA[x.area] || x.area, 'wave ' + x.wave,
    x.sessions_per_week + ' × ' + x.minutes_per_session + ' min a week' + (x.group_size > 1 ? ', group of ' + x.group_size : ', one-to-one'),
    x.start + (x.end ? ' to ' + x.end : ' on'), money(x.cost && x.cost.per_term), money(x.cost && x.cost.per_year),
    measure(x.baseline) + ' → ' + measure(x.exit)]);
  const perTerm = provision.reduce((a, x) => a + ((x.cost && x.cost.per_term) || 0), 0);
  return el('section', { 'aria-labelledby': 'pupil-provision' },
    el('h2', { id: 'pupil-provision' }, 'Provision'),
    el('p', { class: 'counts-line' }, 'Cost: ', el('strong', {}, money(perTerm)), ' a term, ', el('strong', {}, money(perYear)), ' a year'),
    rows.length ? table('Provision with its cost and impact (entry → exit)', ['Intervention', 'Area', 'Wave', 'How often', 'When', 'Per term', 'Per year', 'Impact: entry → exit'], rows, 'provision')
      : empty('No provision recorded.'));
}

function pupilReviews(reviews) {
  return el('section', { 'aria-labelledby': 'pupil-reviews' },
    el('h2', { id: 'pupil-reviews' }, 'Reviews'),
    reviews.length ? table('Reviews, newest first', ['Date', 'Kind', 'Decision', 'Impact', 'Next review'],
      reviews.slice().sort((a, b) => (a.date < b.date ? 1 : -1)).map((r) => [r.date, words(r.review_kind), words(r.decision) || '—', r.impact || '—', r.next_review || '—']), 'reviews')
      : empty('No reviews recorded.'));
}

function pupilClocks(clocks, today) {
  const items = clocks.map((c) => ({ date: c.due, cls: 'clock clock-' + String(c.state).replace(/[^a-z_]/g, ''),
    body: el('span', {}, stateTag(c.state), ' ' + c.title + ' (' + (c.kind === 'statutory' ? 'statutory' : 'the school\'s own') + ', ' + c.owner + ' acts)' +
      (c.done ? ', done ' + c.done : '') + (c.detail ? ' — ' + c.detail : '')) }));
  return el('section', { 'aria-labelledby': 'pupil-clocks' },
    el('h2', { id: 'pupil-clocks' }, 'Clocks'),
    items.length ? timeline('clocks', 'Her clocks in date order, with today', items, today) : empty('No clocks running.'));
}

function pupilDisclosures(d) {
  const items = (d && d.items) || [];
  return el('section', { 'aria-labelledby': 'pupil-disclosures' },
    el('h2', { id: 'pupil-disclosures' }, 'What other systems were sent'),
    items.length ? table('Each change another system accepted about her: which fields, when', ['Link', 'Record', 'Fields', 'Delivered'],
      items.map((x) => [x.link, x.kind + ' ' + x.op, (x.fields || []).join(', '), when(x.delivered_at)]), 'disclosures')
      : empty('Nothing about this pupil has been sent to another system.'));
}

async function pupil(arg) {
  const upn = decodeURIComponent(arg || '');
  if (!upn) return empty('No pupil chosen: open one from the SEN register.');
  const [s, d] = await Promise.all([api('GET', '/pupils/' + enc(upn)), api('GET', '/pupils/' + enc(upn) + '/disclosures')]);
  const today = s.as_of;
  return el('div', { class: 'pupil' },
    pupilIdentity(s.pupil || {}, s.system_ids || []),
    pupilSen(s.sen, today),
    pupilCycles(s.cycles || []),
    pupilProvision(s.provision || [], s.provision_cost_per_year),
    pupilReviews(s.reviews || []),
    pupilClocks(s.clocks || [], today),
    pupilDisclosures(d),
    (s.warnings || []).length ? el('section', {}, el('h2', {}, 'Warnings on her records'),
      el('ul', {}, s.warnings.map((w) => el('li', {}, w.record_kind + ' ' + (w.path || '') + ': ' + w.message)))) : null);
}

// ---- start ------------------------------------------------------------------------------------

document.addEventListener('DOMContentLoaded', () => {
  $('login-form').addEventListener('submit', signIn);
  $('sign-out').addEventListener('click', () => { who = null; announce(''); signOut('You have signed out.'); });
  // The skip link moves focus without touching the #fragment, which names the view.
  document.querySelector('.skip').addEventListener('click', (e) => { e.preventDefault(); $('main').focus(); });
  window.addEventListener('hashchange', async () => {
    announce('');
    await route();
    const title = $('view-title');
    if (title && !$('view').hidden) title.focus();
  });
  route();
});

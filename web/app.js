// The Parley voice page: one call over /ws/voice. The wire protocol is docs/protocol.md.

const SERVER_RATES = [8000, 16000, 22050, 24000, 44100, 48000];
const PREBUFFER_MS = 60;
const MAX_RETRIES = 10;

const $ = (id) => document.getElementById(id);
const ui = {
  call: $('call'), interrupt: $('interrupt'), state: $('state'), status: $('status'), engines: $('engines'),
  callerFinal: $('caller-final'), callerPartial: $('caller-partial'), agentText: $('agent-text'),
  textForm: $('text-form'), text: $('text'), send: $('send'),
  settings: $('settings'), debounce: $('debounce'), debounceAuto: $('debounce-auto'), minInterruption: $('min-interruption'),
  turns: $('turns'), errors: $('errors'), missing: $('missing'),
};

let audio = null; // { ctx, stream, capture, playback, rate } while a call is wanted
let ws = null;
let ready = false; // session_ready came on the current socket
let sessionId = null;
let wanted = false; // the user wants to be in a call (drives reconnects)
let retries = 0;
let retryTimer = null;
let turnState = 'OFF';
let discarding = false; // after a local interrupt: agent audio still in flight must not play
let settingsTouched = false;
let callerFinals = [];
let callerStale = false;
let agentTurn = null;
let agentText = '';

// ---- call lifecycle ---------------------------------------------------------------------------

async function startCall() {
  wanted = true;
  retries = 0;
  setStatus('Starting audio…');
  render();
  try {
    const ctx = new AudioContext({ latencyHint: 'interactive' });
    await ctx.audioWorklet.addModule('pcm-worklet.js');
    const stream = await navigator.mediaDevices.getUserMedia({
      audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true, autoGainControl: true },
    });
    // Send and receive at the context rate when the server supports it: no resampling here at all.
    const rate = SERVER_RATES.includes(ctx.sampleRate) ? ctx.sampleRate : 16000;
    const capture = new AudioWorkletNode(ctx, 'pcm-capture', { processorOptions: { targetRate: rate } });
    const playback = new AudioWorkletNode(ctx, 'pcm-playback', {
      numberOfInputs: 0,
      outputChannelCount: [1],
      processorOptions: { sourceRate: rate, prebufferMs: PREBUFFER_MS },
    });
    ctx.createMediaStreamSource(stream).connect(capture);
    capture.connect(ctx.destination); // outputs silence; keeps the node pulled by the graph
    playback.connect(ctx.destination);
    capture.port.onmessage = (event) => {
      if (ready && ws && ws.readyState === WebSocket.OPEN) ws.send(event.data);
    };
    audio = { ctx, stream, capture, playback, rate };
    await ctx.resume();
    if (!wanted) return teardownAudio(); // stopped while the mic prompt was open
    connect();
  } catch (err) {
    showError('audio', err instanceof Error ? err.message : String(err));
    stopCall('Could not start audio');
  }
}

function stopCall(reason = 'Call ended') {
  wanted = false;
  clearTimeout(retryTimer);
  const socket = ws;
  ws = null;
  if (socket && ready && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: 'end_session' }));
  else if (socket) socket.close(1000);
  ready = false;
  sessionId = null;
  teardownAudio();
  setState('OFF');
  setStatus(reason);
  render();
}

function teardownAudio() {
  if (!audio) return;
  audio.stream.getTracks().forEach((track) => track.stop());
  audio.ctx.close();
  audio = null;
}

function flushPlayback() {
  if (audio) audio.playback.port.postMessage({ type: 'flush' });
}

// ---- socket -----------------------------------------------------------------------------------

function connect() {
  const socket = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws/voice`);
  socket.binaryType = 'arraybuffer';
  ws = socket;
  ready = false;
  setStatus(sessionId ? 'Reconnecting…' : 'Connecting…');
  socket.onopen = () => startSession();
  socket.onmessage = (event) => {
    if (socket !== ws) return;
    if (typeof event.data === 'string') onMessage(JSON.parse(event.data));
    else if (!discarding && audio) audio.playback.port.postMessage(event.data, [event.data]);
  };
  socket.onclose = (event) => {
    if (socket !== ws) return;
    ws = null;
    ready = false;
    flushPlayback();
    setState('OFF');
    if (!wanted || event.code === 1000) return stopCall('Call ended');
    if (event.code === 4001) return stopCall('The call moved to another window');
    if (event.code === 1001) return stopCall('The server is shutting down');
    if (retries >= MAX_RETRIES) return stopCall(`Connection lost (${event.code}); gave up`);
    const delay = Math.min(5000, 250 * 2 ** retries++);
    setStatus(`Connection lost (${event.code}); reconnecting in ${delay} ms`);
    retryTimer = setTimeout(connect, delay);
    render();
  };
}

function startSession() {
  const msg = { type: 'start_session', input_sample_rate: audio.rate, output_sample_rate: audio.rate };
  if (sessionId) msg.session_id = sessionId;
  else if (settingsTouched) msg.settings = readSettings();
  send(msg);
}

function send(msg) {
  if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(msg));
}

function onMessage(m) {
  switch (m.type) {
    case 'session_ready':
      sessionId = m.session_id;
      ready = true;
      retries = 0;
      setState(m.state);
      setStatus(`${m.resumed ? 'Resumed' : 'In call'} · ${m.input_sample_rate} Hz in / ${m.output_sample_rate} Hz out`);
      showEngines(m.engines);
      showSettings(m.settings);
      render();
      break;
    case 'state_change':
      setState(m.to);
      if (m.to === 'IDLE') callerStale = true;
      break;
    case 'transcript_partial':
      if (callerStale) resetCaller();
      ui.callerPartial.textContent = m.text;
      break;
    case 'transcript_final':
      if (callerStale) resetCaller();
      callerFinals.push(m.text);
      ui.callerFinal.textContent = callerFinals.join(' ');
      ui.callerPartial.textContent = '';
      break;
    case 'agent_text':
      if (m.turn_id !== agentTurn) {
        agentTurn = m.turn_id;
        agentText = '';
      }
      agentText = m.final ? m.text : agentText + m.text;
      ui.agentText.textContent = agentText;
      break;
    case 'agent_text_fallback':
      // Synthesis failed for this piece of the reply: it is shown, not heard.
      showError('spoken as text', m.text);
      break;
    case 'agent_audio_start':
      discarding = false;
      break;
    case 'agent_audio_end':
      if (m.interrupted) flushPlayback();
      discarding = false;
      break;
    case 'turn_complete':
      addTurn(m.turn);
      callerStale = true;
      break;
    case 'settings_updated':
      showSettings(m.settings);
      break;
    case 'error':
      showError(m.code, m.message);
      if (m.code === 'session_not_found') {
        // The old call expired or ended: start a fresh one on this socket.
        sessionId = null;
        startSession();
      }
      break;
    case 'session_ended':
      stopCall(`Call ended: ${m.reason}`);
      break;
    case 'ping':
      send({ type: 'pong', t: m.t });
      break;
    default:
      break; // pong, telemetry and future messages
  }
}

// ---- view -------------------------------------------------------------------------------------

function render() {
  ui.call.textContent = wanted ? 'Stop call' : 'Start call';
  ui.call.classList.toggle('active', wanted);
  ui.interrupt.disabled = !ready;
  ui.text.disabled = !ready;
  ui.send.disabled = !ready;
}

function setState(state) {
  turnState = state;
  ui.state.textContent = state;
  ui.state.dataset.state = state;
}

function setStatus(text) {
  ui.status.textContent = text;
}

function resetCaller() {
  callerStale = false;
  callerFinals = [];
  ui.callerFinal.textContent = '';
  ui.callerPartial.textContent = '';
}

function showError(code, message) {
  const li = document.createElement('li');
  li.textContent = `${new Date().toLocaleTimeString()} ${code}: ${message}`;
  ui.errors.prepend(li);
  while (ui.errors.children.length > 20) ui.errors.lastChild.remove();
}

const ms = (v) => (v === null || v === undefined ? '—' : `${Math.round(v)} ms`);

function addTurn(t) {
  const said = t.interrupted ? `${t.heard_text} [cut]` : t.agent_text;
  const m = t.metrics;
  const cells = [t.turn_id, t.outcome, t.user_text || '—', said || '—'];
  const numbers = [m.voice_to_voice_ms, m.end_of_utterance_delay_ms, m.stt_final_delay_ms, m.llm_ttft_ms, m.tts_ttfb_ms, m.debounce_ms];
  const row = document.createElement('tr');
  for (const text of cells) row.append(cell(text));
  for (const value of numbers) row.append(cell(ms(value), 'num'));
  row.append(cell(t.usage ? t.usage.cost.formatted : '—', 'num'));
  const notes = [];
  if (t.interrupted) notes.push(`Full reply: ${t.agent_text}`);
  if (t.provider_issues && t.provider_issues.length) notes.push(...t.provider_issues);
  if (notes.length) row.title = notes.join('\n');
  if (t.provider_issues && t.provider_issues.length) row.classList.add('degraded');
  ui.turns.prepend(row);
}

function cell(text, className) {
  const td = document.createElement('td');
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

// ---- settings ---------------------------------------------------------------------------------

function showSettings(s) {
  ui.debounceAuto.checked = s.debounce_ms === null;
  if (s.debounce_ms !== null) ui.debounce.value = String(s.debounce_ms);
  ui.debounce.disabled = ui.debounceAuto.checked;
  ui.minInterruption.value = String(s.min_interruption_ms);
}

function readSettings() {
  const debounce = Number(ui.debounce.value);
  const minInterruption = Number(ui.minInterruption.value);
  const valid = (v) => Number.isInteger(v) && v >= 0 && v <= 5000;
  const settings = {};
  if (ui.debounceAuto.checked) settings.debounce_ms = null;
  else if (valid(debounce)) settings.debounce_ms = debounce;
  else showError('settings', 'debounce must be a whole number of ms from 0 to 5000');
  if (valid(minInterruption)) settings.min_interruption_ms = minInterruption;
  else showError('settings', 'min interruption must be a whole number of ms from 0 to 5000');
  return settings;
}

// ---- controls ---------------------------------------------------------------------------------

ui.call.addEventListener('click', () => (wanted ? stopCall() : startCall()));

ui.interrupt.addEventListener('click', () => {
  send({ type: 'interrupt' });
  flushPlayback();
  // Frames sent before the server saw the interrupt are still arriving: drop them.
  if (turnState === 'SPEAKING') discarding = true;
});

ui.textForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const text = ui.text.value.trim();
  if (!text || !ready) return;
  send({ type: 'text_input', text });
  ui.text.value = '';
});

ui.debounceAuto.addEventListener('change', () => {
  ui.debounce.disabled = ui.debounceAuto.checked;
});

ui.settings.addEventListener('submit', (event) => {
  event.preventDefault();
  const settings = readSettings();
  if (ready) {
    send({ type: 'update_settings', settings });
    setStatus('Settings sent');
  } else {
    settingsTouched = true;
    setStatus('Settings will apply when the call starts');
  }
});

function showEngines(engines) {
  ui.engines.textContent = `VAD ${engines.vad} · STT ${engines.stt} · LLM ${engines.llm} · TTS ${engines.tts}`;
}

// Before any call: which engines the server runs, and which local ones it had to leave out.
async function loadHealth() {
  try {
    const res = await fetch('/health');
    const health = await res.json();
    if (!ready) showEngines(health.engines);
    ui.missing.replaceChildren(
      ...(health.unavailable_engines ?? []).map((u) => {
        const li = document.createElement('li');
        li.textContent = `${u.engine} is not available (${u.reason}). Install it with: ${u.install}`;
        return li;
      }),
    );
  } catch {
    // The page still works without it; the engines show when a call starts.
  }
}

render();
void loadHealth();

// The widget's script, served as /chat/widget.js to the page /chat/ (widget-page.ts).
// Plain browser JavaScript kept as text: the engine's TypeScript has no DOM. Every
// string from the engine or the customer reaches the page through textContent or an
// attribute set on a created element, never markup: the page's CSP requires Trusted
// Types with no policy, so an innerHTML assignment would throw rather than parse.

export const WIDGET_JS = String.raw`'use strict'
;(() => {
  const KEY = 'callctl.chat'
  const EMOJI = ['😀', '😂', '😊', '😍', '🤔', '😢', '😡', '👍', '👎', '🙏', '👏', '🎉', '❤️', '🔥', '✅', '❓', '⏰', '📦', '📞', '💳', '🚚', '🏠', '👋', '🙂']
  const $ = (id) => document.getElementById(id)
  const el = (tag, cls, text) => {
    const e = document.createElement(tag)
    if (cls) e.className = cls
    if (text !== undefined) e.textContent = text
    return e
  }
  const load = () => {
    try {
      const v = JSON.parse(localStorage.getItem(KEY) || '{}')
      return v && typeof v === 'object' ? v : {}
    } catch {
      return {}
    }
  }
  const state = load()
  const save = () => {
    try {
      localStorage.setItem(KEY, JSON.stringify({visitor: state.visitor, name: state.name, number: state.number, started: state.started}))
    } catch {}
  }
  const params = new URLSearchParams(location.search)
  if (params.get('title')) $('title').textContent = params.get('title').slice(0, 60)

  /** Seqs drawn per conversation: a message resent after a reconnect is not drawn twice. */
  const seen = new Map()
  let conversation = null
  let lastSeq = 0
  let ws = null
  let backoff = 500
  let frameNo = 0
  const pending = new Map()
  const nextId = () => Date.now().toString(36) + '-' + (++frameNo).toString(36)

  const log = $('log')
  const status = (text) => ($('status').textContent = text)
  const scroll = () => (log.scrollTop = log.scrollHeight)
  const mark = (conv, seq) => {
    if (!seen.has(conv)) seen.set(conv, new Set())
    const s = seen.get(conv)
    if (s.has(seq)) return false
    s.add(seq)
    if (conv !== conversation) {
      conversation = conv
      lastSeq = 0
    }
    if (seq > lastSeq) lastSeq = seq
    return true
  }
  const who = (m) => (m.from === 'agent' ? m.agentName || 'Agent' : m.from === 'bot' ? 'Assistant' : m.from === 'customer' ? state.name || 'You' : '')
  const safeImage = (url) => {
    try {
      const u = new URL(String(url), location.href)
      return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : null
    } catch {
      return null
    }
  }
  const line = (side, name, node) => {
    const li = el('li', 'msg ' + side)
    if (name) li.append(el('span', 'who', name))
    li.append(node)
    log.append(li)
    scroll()
    return li
  }
  const imageNode = (url) => {
    const src = safeImage(url)
    if (!src) return el('div', 'text', '[image]')
    const img = el('img', 'image')
    img.alt = 'image'
    img.src = src
    img.addEventListener('load', scroll)
    return img
  }
  let typingTimer = null
  const showTyping = (name) => {
    $('typing').textContent = (name || 'Agent') + ' is typing…'
    $('typing').hidden = false
    clearTimeout(typingTimer)
    typingTimer = setTimeout(() => ($('typing').hidden = true), 6000)
  }
  const choices = (m) => {
    const box = el('div', 'buttons')
    for (const b of Array.isArray(m.buttons) ? m.buttons : []) {
      const btn = el('button', 'choice', String(b.label))
      btn.type = 'button'
      btn.dataset.key = String(b.key)
      btn.addEventListener('click', () => {
        for (const x of box.querySelectorAll('button')) x.disabled = true
        btn.classList.add('chosen')
        send({type: 'button', id: nextId(), key: String(b.key)})
      })
      box.append(btn)
    }
    return box
  }

  const draw = (m) => {
    if (!m || typeof m !== 'object') return
    // Typing is not a line of the conversation: it carries no seq of its own.
    if (m.kind === 'typing') {
      if (m.from !== 'customer') showTyping(m.agentName)
      return
    }
    if (!mark(m.conversation, m.seq)) return
    const side = m.from === 'customer' ? 'customer' : m.from === 'system' ? 'system' : 'agent'
    switch (m.kind) {
      case 'image':
        $('typing').hidden = true
        line(side, who(m), imageNode(m.image && m.image.url))
        return
      case 'buttons':
      case 'rating-request': {
        $('typing').hidden = true
        const li = line(side, who(m), el('div', 'text', m.text || (m.kind === 'rating-request' ? 'How did we do?' : '')))
        li.append(choices(m))
        if (m.kind === 'rating-request') li.classList.add('rating')
        scroll()
        return
      }
      case 'closed':
        line('system', '', el('div', 'text', m.text || 'The chat has ended.'))
        document.body.classList.add('ended')
        return
      case 'system':
        line('system', '', el('div', 'text', m.text || ''))
        return
      default:
        $('typing').hidden = true
        line(side, who(m), el('div', 'text', m.text || ''))
    }
  }

  const send = (f) => {
    if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(f))
    else if (f.id) pending.set(f.id, f)
  }
  /** A customer's own line, drawn at once and confirmed by the engine's ack. */
  const own = (f, node) => {
    const li = line('customer', state.name || 'You', node)
    li.classList.add('sending')
    li.dataset.frame = f.id
    pending.set(f.id, f)
    send(f)
    document.body.classList.remove('ended')
  }

  const connect = () => {
    status('Connecting…')
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:'
    ws = new WebSocket(proto + '//' + location.host + '/chat/ws')
    ws.addEventListener('open', () => {
      backoff = 500
      ws.send(JSON.stringify({type: 'hello', visitor: state.visitor, conversation: conversation || undefined, after: lastSeq, name: state.name, number: state.number}))
    })
    ws.addEventListener('message', (ev) => {
      let f
      try {
        f = JSON.parse(ev.data)
      } catch {
        return
      }
      switch (f.type) {
        case 'welcome':
          state.visitor = f.visitor
          save()
          status('Online')
          document.body.classList.add('online')
          return
        case 'history':
          for (const m of f.messages) draw(m)
          if (f.messages.length > 0 || state.started) showChat()
          // What was typed while away goes now, in order.
          for (const p of pending.values()) ws.send(JSON.stringify(p))
          return
        case 'message':
          draw(f.message)
          return
        case 'ack': {
          pending.delete(f.id)
          mark(f.conversation, f.seq)
          const li = log.querySelector('li[data-frame="' + CSS.escape(f.id) + '"]')
          if (li) li.classList.remove('sending')
          return
        }
        case 'error': {
          if (f.id) {
            pending.delete(f.id)
            const li = log.querySelector('li[data-frame="' + CSS.escape(f.id) + '"]')
            if (li) {
              li.classList.remove('sending')
              li.classList.add('failed')
              li.append(el('div', 'error', String(f.message)))
            }
          } else {
            line('system', '', el('div', 'text error', String(f.message)))
          }
          return
        }
      }
    })
    ws.addEventListener('close', () => {
      document.body.classList.remove('online')
      status('Reconnecting…')
      setTimeout(connect, backoff)
      backoff = Math.min(backoff * 2, 10000)
    })
  }

  const showChat = () => {
    $('start').hidden = true
    $('chat').hidden = false
  }
  $('start').addEventListener('submit', (ev) => {
    ev.preventDefault()
    state.name = $('name').value.trim().slice(0, 80) || undefined
    state.number = $('number').value.trim().slice(0, 32) || undefined
    state.started = true
    save()
    send({type: 'start', name: state.name, number: state.number})
    showChat()
    $('text').focus()
  })
  if (state.name) $('name').value = state.name
  if (state.number) $('number').value = state.number

  const sendText = () => {
    const text = $('text').value
    if (text.trim() === '') return
    $('text').value = ''
    own({type: 'text', id: nextId(), text}, el('div', 'text', text))
  }
  $('composer').addEventListener('submit', (ev) => {
    ev.preventDefault()
    sendText()
  })
  let lastTyping = 0
  $('text').addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && !ev.shiftKey) {
      ev.preventDefault()
      sendText()
    }
  })
  // One typing event every 3 s at most while the customer writes.
  $('text').addEventListener('input', () => {
    if ($('text').value.trim() !== '' && Date.now() - lastTyping > 3000) {
      lastTyping = Date.now()
      send({type: 'typing'})
    }
  })
  const picker = $('emoji-picker')
  for (const e of EMOJI) {
    const b = el('button', 'emoji', e)
    b.type = 'button'
    b.addEventListener('click', () => {
      const t = $('text')
      const at = t.selectionStart ?? t.value.length
      t.value = t.value.slice(0, at) + e + t.value.slice(t.selectionEnd ?? at)
      t.focus()
      t.selectionStart = t.selectionEnd = at + e.length
    })
    picker.append(b)
  }
  $('emoji').addEventListener('click', () => (picker.hidden = !picker.hidden))
  $('end').addEventListener('click', () => send({type: 'close'}))
  $('file').addEventListener('change', async () => {
    const file = $('file').files[0]
    $('file').value = ''
    if (!file) return
    const id = nextId()
    const li = line('customer', state.name || 'You', el('div', 'text', '[image ' + file.name + ']'))
    li.classList.add('sending')
    li.dataset.frame = id
    try {
      const r = await fetch('/chat/upload?visitor=' + encodeURIComponent(state.visitor || ''), {method: 'POST', body: file})
      const body = await r.json()
      if (!r.ok) throw new Error(body.message || 'upload refused')
      li.replaceChildren(el('span', 'who', state.name || 'You'), imageNode(body.url))
      const f = {type: 'image', id, upload: body.upload}
      pending.set(id, f)
      send(f)
    } catch (err) {
      li.classList.remove('sending')
      li.classList.add('failed')
      li.append(el('div', 'error', String(err && err.message ? err.message : err)))
    }
  })
  if (state.started) showChat()
  connect()
})()
`
